from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Tableaux de bord et données ouvertes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The subscribers register with civic.events once the models are loaded.
        from dashboards import events  # noqa: F401
