"""The languages the site speaks, named in each language's catalogue (settings.LANGUAGES reads them),
and which addresses carry the language in their path.

Pages carry it: French, the default, at the plain address, English under `/en/` (config/urls.py).
The addresses below do not: the API, the health check, the language switch's view, the admin, the
static files and the OpenID Connect sign-in (the provider knows one callback address) answer in
the language the request negotiates (Accept-Language, the cookie)."""

from django.utils.translation import gettext_lazy as _

LANGUAGES = [("fr", _("Français")), ("en", _("English"))]

UNPREFIXED = ("/api/", "/healthz", "/theme.css", "/i18n/", "/admin/", "/static/", "/oidc/")


def is_page_path(path_info: str) -> bool:
    """Whether this path belongs to the pages, whose language is the one in the path."""
    return not path_info.startswith(UNPREFIXED)
