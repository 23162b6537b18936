from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferendumsConfig(AppConfig):
    name = "referendums"
    verbose_name = _("Référendums et votations")

    def ready(self) -> None:
        # The app's subscribers to other apps' domain events register here; so do its tasks, so
        # that the close can enqueue the vacuum by the task's name without importing the module
        # that imports the services (as civic does for its event dispatch).
        from django.core import checks

        import referendums.events
        import referendums.follow
        import referendums.tasks  # noqa: F401
        from referendums.checks import check_server_statement_logging

        checks.register(check_server_statement_logging, checks.Tags.security, deploy=True)
