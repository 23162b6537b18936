"""django-allauth integration: e-mails go through Django's mail backend in the user's language."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from civic.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's rate limits key on the same address as the API's (TRUSTED_PROXY_COUNT)."""
        return client_ip(request) or "unknown"
