"""A vote receipt sent by e-mail to the voter who asks for it, and nowhere else.

Why sending it is within the trust model (docs/threat-model.md, "What a voter can verify, and what a
receipt proves"): a receipt proves that a ballot was *received*, only within RECEIPT_CHECK_MINUTES
of the cast and RECEIPT_CHECK_LIMIT times; it says nothing of the choice, and a re-vote keeps the
old receipt listed, so it never proves that it is the last vote. A coercer holding the e-mail holds
no more than a coercer shown the screen.

Why it does not go through the notification outbox (civic/notifications.py): an outbox row keeps
the body, with the recipient, in the database and in the inbox. That would link a person to a
receipt hash in the database (which the threat model promises no table does) and would show the time
of the vote in the inbox while voting is open (which "Mes données" is careful not to). So the
message is built here and handed to the mail backend at once; the code is neither stored nor logged.

What a mailbox does keep is the time of sending: the page says so before the voter asks.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from civic.errors import DomainError
from civic.models import User
from referendums.models import Campaign


def receipt_email(*, user: User, campaign: Campaign, code: str, check_url: str) -> None:
    """Send `code` to the voter's own address, in their language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Votre récépissé de vote : %(title)s") % {"title": campaign.title}
        body = _(
            "Bonjour,\n\n"
            "Voici le récépissé du vote que vous venez de déposer pour « %(title)s » :\n\n"
            "%(code)s\n\n"
            "Il prouve seulement que votre bulletin a été reçu. Il ne dit pas ce que vous avez "
            "voté, ni si vous avez voté à nouveau ensuite : seul votre dernier vote compte.\n\n"
            "Vous pouvez le vérifier pendant %(minutes)s minutes après votre vote, %(times)s fois "
            "au plus, sur cette page :\n%(url)s\n\n"
            "Après la publication des résultats, il figure dans l'urne publiée."
        ) % {
            "title": campaign.title,
            "code": code,
            "minutes": settings.RECEIPT_CHECK_MINUTES,
            "times": settings.RECEIPT_CHECK_LIMIT,
            "url": f"{settings.SITE_URL}{check_url}",
        }
    message = EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=body, to=[user.email]
    )
    try:
        message.send()
    except Exception as exc:  # any transport failure; the code stays out of the error
        raise DomainError(
            _("L'e-mail n'a pas pu partir. Notez votre code, puis réessayez plus tard."),
            code="receipt_mail_failed",
        ) from exc
