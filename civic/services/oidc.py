"""Signing in and verifying a resident with an OpenID Connect identity (FranceConnect).

One transaction per sign-in: either everything it decided is written (the account, the bond to the
provider's subject, the verification or the desk request, their audit entries) or nothing is. No
match leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict
from civic.models import DeskRequest, OidcBindMethod, OidcIdentity, User, VerificationMethod
from civic.services.identity_match import Match, Pivot, match_pivot
from civic.services.verification import link_entry


class Outcome:
    SIGNED_IN = "signed_in"  # a known account, already verified
    VERIFIED = "verified"  # the identity matched the register: the account is verified
    DESK = "desk"  # a near-miss: the account waits for the desk
    NO_MATCH = "no_match"  # nothing written


@dataclass(frozen=True)
class SignIn:
    outcome: str
    user: User | None = None
    reason: str = ""


def resident_oidc_sign_in(
    *, issuer: str, subject: str, pivot: Pivot, current: User | None
) -> SignIn:
    """Sign in (and verify when possible) the person the provider vouched for.

    `current` is the account already signed in, if any: the identity is then bound to it (the
    verification path). Without one, the account bound to the subject signs in, or an account is
    opened for a person the register knows."""
    bound = (
        OidcIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    if bound is not None and current is not None and bound.user_id != current.pk:
        raise Conflict(
            _("Cette identité est déjà rattachée à un autre compte."), code="identity_bound"
        )
    user = bound.user if bound is not None else current
    if user is not None and user.is_verified:
        with transaction.atomic():
            if bound is None:
                _bind(user=user, issuer=issuer, subject=subject, method=OidcBindMethod.ACCOUNT)
            _touch(issuer=issuer, subject=subject)
        return SignIn(Outcome.SIGNED_IN, user)
    match = match_pivot(pivot, user=user)
    if match.entry is None and not match.near_miss:
        return SignIn(Outcome.NO_MATCH)
    if user is None and User.objects.filter(email=pivot.email).exists():
        raise Conflict(
            _(
                "Un compte existe déjà avec l'adresse e-mail transmise par le fournisseur. "
                "Connectez-vous avec votre mot de passe, puis vérifiez votre compte depuis "
                "« Vérifier mon compte »."
            ),
            code="email_taken",
        )
    return _apply(
        user=user, bound=bound is not None, issuer=issuer, subject=subject, pivot=pivot, match=match
    )


def _apply(
    *, user: User | None, bound: bool, issuer: str, subject: str, pivot: Pivot, match: Match
) -> SignIn:
    try:
        with transaction.atomic():
            method = OidcBindMethod.ACCOUNT
            if user is None:
                user, method = _open_account(pivot), OidcBindMethod.SIGN_UP
            if not bound:
                _bind(user=user, issuer=issuer, subject=subject, method=method)
            _touch(issuer=issuer, subject=subject)
            if match.entry is not None:
                user = link_entry(user=user, entry=match.entry, method=VerificationMethod.OIDC)
                return SignIn(Outcome.VERIFIED, user)
            _desk_request(user=user, reason=match.near_miss)
            return SignIn(Outcome.DESK, user, match.near_miss)
    except IntegrityError:
        # Two sign-ins of one person racing: the other one wrote first, this one changed nothing.
        raise Conflict(
            _("Une autre connexion est en cours pour cette identité. Réessayez."),
            code="sign_in_race",
        ) from None


def _open_account(pivot: Pivot) -> User:
    if not pivot.email:
        raise Conflict(
            _("Le fournisseur d'identité n'a pas transmis d'adresse e-mail."),
            code="email_missing",
        )
    user = User.objects.create_user(
        email=pivot.email, password=None, display_name=pivot.given_name.split()[0]
    )
    audit_record(actor=user, verb="resident.signup.oidc", target=user, after={"method": "oidc"})
    return user


def _bind(*, user: User, issuer: str, subject: str, method: str) -> None:
    OidcIdentity.objects.create(
        user=user, issuer=issuer, subject=subject, method=method, bound_at=timezone.now()
    )
    audit_record(
        actor=user,
        verb="resident.oidc.bind",
        target=user,
        after={"issuer": issuer, "method": method},
    )


def _touch(*, issuer: str, subject: str) -> None:
    OidcIdentity.objects.filter(issuer=issuer, subject=subject).update(last_login_at=timezone.now())


def _desk_request(*, user: User, reason: str) -> None:
    if DeskRequest.objects.filter(user=user, closed_at__isnull=True).exists():
        return
    request = DeskRequest.objects.create(user=user, method="oidc", reason=reason)
    audit_record(actor=user, verb="resident.desk_request", target=request, after={"reason": reason})
