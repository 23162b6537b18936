from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferendumsConfig(AppConfig):
    name = "referendums"
    verbose_name = _("Référendums et votations")
