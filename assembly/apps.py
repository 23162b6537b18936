from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AssemblyConfig(AppConfig):
    name = "assembly"
    verbose_name = _("Assemblée citoyenne")

    def ready(self) -> None:
        # Registers the subscribers to the other instruments' events; imported here because the
        # handlers use the models, which exist only once the app registry is ready.
        # Its tasks register too: the services enqueue them by name, in any process.
        from assembly import events, follow, tasks  # noqa: F401
        from assembly.checks import check_drand_relays

        checks.register(check_drand_relays, checks.Tags.security, deploy=True)
