"""Linking an account to its register entry: by matching an identity, or at a desk by staff."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.identity import identity_hash, normalise_address
from civic.models import (
    DeskRequest,
    DeskRequestOutcome,
    RegisterEntry,
    User,
    VerificationMethod,
)
from civic.ratelimits import verification_attempt
from civic.roles import Role, has_role


class VerificationFailed(DomainError):
    default_code = "verification_failed"


def link_entry(*, user: User, entry: RegisterEntry, method: str, agent: User | None = None) -> User:
    """Claim `entry` for `user`, audited with the method. The unique column decides between two
    racing claims. Every way of verifying (match, desk, identity provider) comes through here."""
    if not entry.active:
        raise VerificationFailed(_("Cette inscription n'est plus active au registre."))
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.register_entry_id is not None:
                raise Conflict(_("Ce compte est déjà vérifié."), code="already_verified")
            User.objects.filter(pk=user.pk).update(
                register_entry=entry,
                verified_at=timezone.now(),
                verification_method=method,
                verified_by=agent,
            )
            audit_record(
                actor=agent or user,
                verb=f"resident.verify.{method}",
                target=user,
                after={"register_entry": entry.pk, "method": method},
            )
    except IntegrityError:
        raise Conflict(
            _(
                "Cette inscription est déjà rattachée à un autre compte. "
                "Présentez-vous au guichet de la mairie avec une pièce d'identité."
            ),
            code="entry_already_claimed",
        ) from None
    user.refresh_from_db()
    return user


def resident_verify_by_match(
    *,
    user: User,
    last_name: str,
    first_names: str,
    birth_date: date,
    roll_number: str = "",
    address: str = "",
    client_address: str,
) -> User:
    """Find the one active entry with this identity and (roll number or address), and claim it.

    Every path (the page, the API) comes here and shares one budget of attempts per account and per
    client address (civic.ratelimits). Every failure gives the same answer, an entry already
    claimed by another account included, so the form cannot tell who is on the register nor whose
    entry is still free to claim."""
    if not roll_number and not address:
        raise VerificationFailed(
            _("Indiquez votre numéro d'électeur ou votre adresse."), code="missing_identifier"
        )
    # Before any matching: a verified account's answer must not depend on the identity it types.
    if User.objects.filter(pk=user.pk, register_entry__isnull=False).exists():
        raise Conflict(_("Ce compte est déjà vérifié."), code="already_verified")
    verification_attempt(user_id=user.pk, address=client_address)
    candidates = RegisterEntry.objects.filter(
        identity_hash=identity_hash(
            last_name=last_name, first_names=first_names, birth_date=birth_date
        ),
        active=True,
    )
    if roll_number:
        candidates = candidates.filter(roll_number=roll_number.strip())
    matches = [
        entry
        for entry in candidates[:5]
        if roll_number or normalise_address(entry.address) == normalise_address(address)
    ]
    if len(matches) != 1:
        raise _no_match()
    try:
        return link_entry(user=user, entry=matches[0], method=VerificationMethod.MATCH)
    except Conflict as exc:
        if exc.code == "entry_already_claimed":
            raise _no_match() from None  # the same answer as a wrong identity: no target list
        raise


def _no_match() -> VerificationFailed:
    return VerificationFailed(
        _(
            "Nous n'avons pas trouvé d'inscription correspondant exactement à ces informations. "
            "Vérifiez l'orthographe, ou présentez-vous au guichet de la mairie."
        ),
        code="no_match",
    )


def resident_verify_at_desk(*, agent: User, user_id: int, entry_id: int) -> User:
    """In-person verification by staff who saw an identity document."""
    if not has_role(agent, Role.ADMINISTRATOR, Role.MODERATOR):
        raise PermissionDenied(_("Seul le personnel habilité peut vérifier au guichet."))
    try:
        user = User.objects.get(pk=user_id)
        entry = RegisterEntry.objects.get(pk=entry_id)
    except (User.DoesNotExist, RegisterEntry.DoesNotExist):
        raise NotFound(_("Compte ou inscription introuvable.")) from None
    with transaction.atomic():
        user = link_entry(user=user, entry=entry, method=VerificationMethod.DESK, agent=agent)
        DeskRequest.objects.filter(user=user, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=agent, outcome=DeskRequestOutcome.VERIFIED
        )
    return user


def resident_unlink(*, agent: User, user_id: int, reason: str) -> User:
    """Undo a wrong verification (audited with the reason)."""
    if not has_role(agent, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Seul un administrateur peut annuler une vérification."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        before = {"register_entry": user.register_entry_id, "method": user.verification_method}
        User.objects.filter(pk=user.pk).update(
            register_entry=None, verified_at=None, verification_method="", verified_by=None
        )
        audit_record(
            actor=agent,
            verb="resident.unlink",
            target=user,
            before=before,
            after={"reason": reason},
        )
    user.refresh_from_db()
    return user
