"""django-allauth integration: e-mails go through Django's mail backend in the user's language."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    pass
