"""Composition, stage two: invitations to a random sample of the register, the mail-merge file,
and the volunteers who answer (sign-up, decline, withdrawal)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import random
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly.models import (
    Feature,
    FeatureKind,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Mandate,
    MandateStatus,
    Volunteer,
)
from assembly.rules import age_band_for, drawable_entries, may_be_drawn
from assembly.services.common import mandate_locked
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.identity import keyed_digest
from civic.models import RegisterEntry, User

_TOKEN_PURPOSE = "assembly-invitation"  # noqa: S105 - a digest purpose, not a secret
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _population(mandate: Mandate) -> list[int]:
    """The register entries a batch of this mandate draws from, by ascending id."""
    return list(
        drawable_entries(mandate.eligibility, on=timezone.localdate())
        .exclude(assembly_invitations__mandate=mandate)
        .order_by("id")
        .values_list("id", flat=True)
    )


def population_digest(population: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, population)).encode()).hexdigest()


def invitations_commit(*, mandate_id: int, actor: User, count: int) -> InvitationBatch:
    """Commit a batch of `count` invitations: the server draws the seed (nobody types it) and
    publishes its SHA-256 and the population's before any invitation exists. The sample itself is
    `invitations_draw`, a separate step that checks both."""
    if count < 1:
        raise RuleViolation(_("Le nombre d'invitations doit être positif."), code="invalid_count")
    seed = secrets.token_hex(16)
    with transaction.atomic():
        mandate = _recruiting(mandate_id)
        pending = InvitationBatch.objects.filter(mandate=mandate, drawn_at__isnull=True)
        if pending.exclude(seed_digest="").exists():
            raise Conflict(
                _("Un lot engagé attend son tirage : tirez-le d'abord."), code="batch_pending"
            )
        population = _population(mandate)
        batch = InvitationBatch.objects.create(
            mandate=mandate,
            seed=seed,
            seed_digest=hashlib.sha256(seed.encode()).hexdigest(),
            population_digest=population_digest(population),
            requested=count,
            population=len(population),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            verb="assembly.invitations_commit",
            target=batch,
            after={
                "seed_digest": batch.seed_digest,
                "population_digest": batch.population_digest,
                "requested": count,
                "population": len(population),
            },
        )
    return batch


def invitations_draw(
    *, batch_id: int, actor: User, mandate_id: int | None = None
) -> InvitationBatch:
    """Draw a committed batch: `random.Random(seed).sample()` over the population's entry ids in
    ascending order, once the seed is checked against its published digest and the population
    against the committed one (a register that changed since refuses: commit a new batch). With
    `mandate_id`, a batch of another mandate is not found."""
    with transaction.atomic():
        batch_mandate = (
            InvitationBatch.objects.filter(pk=batch_id).values_list("mandate_id", flat=True).first()
        )
        if batch_mandate is None or mandate_id not in (None, batch_mandate):
            raise NotFound(_("Ce lot d'invitations n'existe pas."), code="not_found")
        mandate = _recruiting(batch_mandate)
        batch = InvitationBatch.objects.select_for_update().get(pk=batch_id)
        if batch.drawn_at is not None:
            raise Conflict(_("Ce lot est déjà tiré."), code="batch_drawn")
        if not batch.seed_digest or (
            hashlib.sha256(batch.seed.encode()).hexdigest() != batch.seed_digest
        ):
            raise Conflict(
                _("La graine de ce lot ne correspond pas à son engagement."),
                code="seed_not_committed",
            )
        population = _population(mandate)
        if population_digest(population) != batch.population_digest:
            raise Conflict(
                _("Le registre a changé depuis l'engagement du lot : engagez un nouveau lot."),
                code="population_changed",
            )
        chosen = sorted(
            random.Random(batch.seed).sample(population, min(batch.requested, len(population)))
        )
        Invitation.objects.bulk_create(
            Invitation(mandate=mandate, batch=batch, register_entry_id=entry_id)
            for entry_id in chosen
        )
        batch.drawn_at = timezone.now()
        batch.save(update_fields=["drawn_at"])
        Mandate.objects.filter(pk=mandate.pk).update(
            invitation_count=mandate.invitation_count + len(chosen)
        )
        audit_record(
            actor=actor,
            verb="assembly.invitations_draw",
            target=batch,
            after={
                "seed": batch.seed,
                "seed_digest": batch.seed_digest,
                "requested": batch.requested,
                "population": len(population),
                "invited": len(chosen),
            },
        )
    return batch


def _recruiting(mandate_id: int) -> Mandate:
    mandate = mandate_locked(mandate_id)
    if mandate.status != MandateStatus.RECRUITING:
        raise InvalidTransition(
            _("Les invitations partent pendant l'appel aux volontaires."), code="not_recruiting"
        )
    return mandate


def invitation_token(invitation: Invitation) -> str:
    return f"{invitation.pk}.{keyed_digest(_TOKEN_PURPOSE, str(invitation.pk))[:24]}"


def invitation_from_token(token: str) -> Invitation | None:
    head, _sep, mac = (token or "").partition(".")
    if not head.isdigit() or not mac:
        return None
    expected = keyed_digest(_TOKEN_PURPOSE, head)[:24]
    if not hmac.compare_digest(expected, mac):
        return None
    return (
        Invitation.objects.select_related("mandate", "register_entry__district")
        .filter(pk=int(head))
        .first()
    )


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would evaluate a cell that starts like a formula (CSV injection).
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def invitations_csv(*, mandate_id: int, actor: User, base_url: str) -> str:
    """The mail-merge file: one line per invitation still unanswered."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["invitation", "nom", "prenoms", "adresse", "code_postal", "quartier", "lien", "code"]
    )
    invitations = (
        Invitation.objects.filter(
            mandate_id=mandate_id, status=InvitationStatus.SENT, register_entry__isnull=False
        )
        .select_related("register_entry__district")
        .order_by("id")
    )
    count = 0
    for inv in invitations.iterator(chunk_size=500):
        entry = inv.register_entry
        assert entry is not None  # filtered above
        token = invitation_token(inv)
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    inv.pk,
                    entry.last_name,
                    entry.first_names,
                    entry.address,
                    entry.postcode,
                    entry.district.name,
                    f"{base_url}/assembly/volontaire/{token}/",
                    token,
                )
            ]
        )
        count += 1
    with transaction.atomic():
        audit_record(
            actor=actor,
            verb="assembly.invitations_export",
            target=("assembly.mandate", mandate_id),
            after={"rows": count},
        )
    return buffer.getvalue()


def volunteer_feature_values(
    mandate: Mandate, entry: RegisterEntry, declared: dict[str, str]
) -> dict[str, str | None]:
    """The volunteer's value for every criterion: age band and district from the register (facts),
    the others as declared."""
    values: dict[str, str | None] = {}
    for feature in Feature.objects.filter(mandate=mandate).prefetch_related("quotas"):
        allowed = [q.value for q in feature.quotas.all()]
        if feature.kind == FeatureKind.DISTRICT:
            values[feature.key] = entry.district.code
        elif feature.kind == FeatureKind.AGE_BAND:
            values[feature.key] = age_band_for(entry.birth_date, mandate.starts_on, allowed)
        else:
            value = declared.get(feature.key)
            if value not in allowed:
                raise RuleViolation(
                    _("Choisissez une réponse pour « %(label)s ».") % {"label": feature.label},
                    code="feature_value_missing",
                )
            values[feature.key] = value
    return values


def volunteer_signup(
    *,
    token: str,
    declared: dict[str, str],
    consent: bool,
    email: str = "",
    phone: str = "",
) -> Volunteer:
    invitation = invitation_from_token(token)
    if invitation is None:
        raise NotFound(_("Ce lien d'invitation n'est pas valide."), code="invalid_invitation")
    if not consent:
        raise RuleViolation(
            _("Votre accord est nécessaire pour participer au tirage."), code="consent_required"
        )
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update(of=("self",)).get(pk=invitation.mandate_id)
        if mandate.status != MandateStatus.RECRUITING:
            raise InvalidTransition(
                _("L'appel aux volontaires de ce mandat est clos."), code="recruitment_closed"
            )
        claimed = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENT).update(
            status=InvitationStatus.ACCEPTED, answered_at=timezone.now()
        )
        if not claimed:
            raise Conflict(_("Cette invitation a déjà reçu une réponse."), code="already_answered")
        entry = invitation.register_entry
        if entry is None:  # unlinked when its mandate closed
            raise Conflict(_("Cette invitation a expiré."), code="invitation_expired")
        decision = may_be_drawn(entry, eligibility=mandate.eligibility, on=timezone.localdate())
        if not decision.eligible:
            raise RuleViolation(
                _("Vous ne remplissez plus les conditions pour participer."),
                code=decision.code,
                rule=decision.rule,
            )
        features = volunteer_feature_values(mandate, entry, declared)
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    volunteer = Volunteer.objects.create(
                        mandate=mandate,
                        invitation=invitation,
                        register_entry=entry,
                        pseudonym="V-" + secrets.token_hex(5),
                        features=features,
                        email=email,
                        phone=phone,
                        consent_at=timezone.now(),
                    )
                break
            except IntegrityError:  # a pseudonym collision: draw another
                continue
        else:  # pragma: no cover - 40 bits, five times
            raise Conflict(_("Réessayez."), code="pseudonym_collision")
        audit_record(
            actor=None,
            verb="assembly.volunteer_signup",
            target=volunteer,
            after={"pseudonym": volunteer.pseudonym},
        )
    return volunteer


def invitation_decline(*, token: str) -> None:
    invitation = invitation_from_token(token)
    if invitation is None:
        raise NotFound(_("Ce lien d'invitation n'est pas valide."), code="invalid_invitation")
    with transaction.atomic():
        if Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENT).update(
            status=InvitationStatus.DECLINED, answered_at=timezone.now()
        ):
            audit_record(actor=None, verb="assembly.invitation_decline", target=invitation)


def volunteer_withdraw(*, volunteer_id: int, actor: User | None) -> None:
    """Leave the pool; only before the commitment freezes it."""
    with transaction.atomic():
        volunteer = Volunteer.objects.select_related("mandate").get(pk=volunteer_id)
        mandate = mandate_locked(volunteer.mandate_id)
        if mandate.status != MandateStatus.RECRUITING:
            raise Conflict(_("Le vivier est figé par l'engagement publié."), code="pool_frozen")
        Volunteer.objects.filter(pk=volunteer_id, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        audit_record(actor=actor, verb="assembly.volunteer_withdraw", target=volunteer)
