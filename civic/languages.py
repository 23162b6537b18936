"""The languages the site speaks, named in each language's catalogue (settings.LANGUAGES reads them)."""

from django.utils.translation import gettext_lazy as _

LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
