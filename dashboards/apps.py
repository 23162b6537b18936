from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Tableaux de bord et données ouvertes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The subscribers register with civic.events once the models are loaded; the tasks with
        # Celery, as every app's do, so any process can enqueue them by name.
        from dashboards import events, tasks  # noqa: F401
        from dashboards.export_jobs import register_kind

        register_kind()  # staff exports prepared in the background (civic/jobs.py)
