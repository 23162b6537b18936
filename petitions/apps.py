from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Droit d'initiative locale")

    def ready(self) -> None:
        # Registers the app's subscribers to other apps' domain events (civic.events).
        from petitions import events  # noqa: F401
