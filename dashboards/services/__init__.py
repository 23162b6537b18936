from dashboards.services.documents import documents_rebuild, documents_refresh
from dashboards.services.fold import aggregates_fold, stats_tick

__all__ = ["aggregates_fold", "documents_rebuild", "documents_refresh", "stats_tick"]
