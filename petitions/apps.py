from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Droit d'initiative locale")

    def ready(self) -> None:
        # Registers the app's subscribers to other apps' domain events (civic.events), and its
        # tasks: the services enqueue them by name (petitions.services._common), which finds them
        # only once registered, in the web process as in the worker.
        from petitions import events, follow, tasks  # noqa: F401
        from petitions.services.paper_jobs import register_kind

        register_kind()  # the paper import's background job (civic/jobs.py)
