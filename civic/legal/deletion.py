"""Account deletion (GDPR art. 17) under CIVIC-RULES' rule for signatures and votes.

The account row stays as an inert tombstone (other records name it as author or agent, and the
database protects those links): its e-mail, name, password, register link, sessions, tokens,
second factors, addresses, messages, identity-provider bindings and desk requests go; its other sessions end (an inactive account with a
new password hash authenticates nowhere). Each instrument erases its own part first
(`personal_data_erase(user=...)` in its services module): online signatures on a collection still
open are withdrawn. A cast ballot is never touched: the participation record belongs to the register
entry, not the account, and the account no longer points at the entry, so nothing leads from the
deleted person to a ballot. Counts, results and minutes do not change (beyond the withdrawals).
"""

from __future__ import annotations

import importlib
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.utils.translation import gettext as _

from civic.audit import actor_pseudonym, audit_record
from civic.errors import PermissionDenied, RuleViolation
from civic.legal.retention import INSTRUMENTS
from civic.models import ApiToken, AuditIdentity, DeskRequest, Notification, OidcIdentity, User
from civic.second_factor import is_privileged

TOMBSTONE_DOMAIN = "deleted.invalid"


def _instrument_erasures(user: User) -> dict[str, Any]:
    report = {}
    for app in INSTRUMENTS:
        try:
            services = importlib.import_module(f"{app}.services")
        except ModuleNotFoundError:
            continue
        erase = getattr(services, "personal_data_erase", None)
        if erase is not None:
            report[app] = erase(user=user)
    return report


@transaction.atomic
def account_delete(*, user: User, password: str) -> dict[str, Any]:
    if not user.is_active or not user.check_password(password):
        raise PermissionDenied(_("Mot de passe incorrect."), code="wrong_password")
    if is_privileged(user):
        raise RuleViolation(
            _("Un compte d'agent est fermé par l'administrateur, pas supprimé ici."),
            code="staff_account",
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    report = _instrument_erasures(user)
    Notification.objects.filter(recipient=user).delete()
    ApiToken.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    # The provider's subject would let the person be found again; the desk's requests and notes too.
    OidcIdentity.objects.filter(user=user).delete()
    DeskRequest.objects.filter(user=user).delete()
    # The audit entry names the pseudonym only; the address behind it is erased now.
    audit_record(actor=None, verb="account.deleted", target=user, after={"erased": report})
    AuditIdentity.objects.filter(pseudonym=actor_pseudonym(user.pk)).delete()
    user.email = f"deleted-{user.pk}@{TOMBSTONE_DOMAIN}"
    user.display_name = ""
    user.set_unusable_password()
    user.is_active = False
    user.register_entry = None
    user.verified_at = None
    user.verification_method = ""
    user.verified_by = None
    user.save()
    user.groups.clear()
    return report
