from dashboards.services.documents import documents_rebuild
from dashboards.services.fold import aggregates_fold, stats_tick

__all__ = ["aggregates_fold", "documents_rebuild", "stats_tick"]
