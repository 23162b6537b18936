from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    name = "civic"
    verbose_name = _("Socle civique")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import register_converter

        from civic.converters import IdConverter

        register_converter(IdConverter, "id")
        from django.core import checks

        from civic.perf import pagepath, randomness

        randomness.install()  # CSRF secrets and masks from one read of os.urandom
        from civic.perf.hotpath import check_middleware_reviewed

        checks.register(check_middleware_reviewed, checks.Tags.compatibility)
        checks.register(pagepath.check_middleware_reviewed, checks.Tags.compatibility)
        from civic.client_ip import check_trusted_proxy_count

        checks.register(check_trusted_proxy_count, checks.Tags.security, deploy=True)

        from civic.accounts_checks import check_account_settings

        checks.register(check_account_settings, checks.Tags.security, deploy=True)

        from civic.register_checks import check_guard_triggers, check_strike_off_bound

        checks.register(check_strike_off_bound, checks.Tags.security, deploy=True)
        checks.register(check_guard_triggers, checks.Tags.database, deploy=True)

        from civic.oidc.checks import check_oidc_settings

        checks.register(check_oidc_settings, checks.Tags.security, deploy=True)

        from civic.theme import check_theme

        checks.register(check_theme)
        from civic.audit_checks import check_audit_anchoring

        checks.register(check_audit_anchoring, checks.Tags.security, deploy=True)
        # Staff roles are groups whose permissions follow the models of every installed app: they are
        # brought up to date after each migration, as Django does for permissions themselves.
        from civic.roles import roles_sync_after_migrate

        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="civic.roles_sync")
        # The tasks register with Celery here, so that civic.events can enqueue its dispatch by the
        # task's name without importing the module that imports it.
        import civic.tasks  # noqa: F401

        # The staff jobs the core runs (civic/jobs.py); each app declares its own in its `ready`.
        from civic.services.register_jobs import register_kind

        register_kind()
