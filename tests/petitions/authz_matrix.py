"""The petitions rows of the authorisation matrix (collected by tests/security/matrix.py).

The world gets, lazily and once per test: a draft of the world's resident (other_resident invited
as a promoter), a submitted and an in-review initiative of the resident, a collecting initiative
of the resident that the resident has signed, and an open obligation on it. Drafts are invisible
to anyone but their people and moderators (404, no probing); staff accounts are not verified
residents, so they neither start initiatives nor sign.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.security.matrix import DENIED, NO_EFFECT, NOT_FOUND, OK, REFUSED, Row, roles

BASE = "/api/v1/initiatives"
MODERATORS = {"administrator": OK, "moderator": OK}


def initiative(world: Any, kind: str) -> Any:
    from petitions.models import Promoter, Status
    from tests.petitions.factories import InitiativeFactory

    cache = world.__dict__.setdefault("petitions", {})
    if kind not in cache:
        resident = world.user("resident")
        item: Any
        if kind == "collecting":
            from petitions.services import signature_sign

            item = InitiativeFactory(collecting=True, initiator=resident)
            signature_sign(initiative_id=item.pk, user=resident)
        elif kind == "draft":
            item = InitiativeFactory(initiator=resident)
            from django.utils import timezone

            Promoter.objects.create(
                initiative=item, user=world.user("other_resident"), invited_at=timezone.now()
            )
        else:
            status = {"submitted": Status.SUBMITTED, "in_review": Status.IN_REVIEW}[kind]
            from django.utils import timezone

            item = InitiativeFactory(initiator=resident, status=status, submitted_at=timezone.now())
        cache[kind] = item
    return cache[kind]


def _id(kind: str) -> Any:
    return lambda world: {"id": initiative(world, kind).pk}


def _status_is(kind: str, status: str) -> Any:
    def effect(world: Any) -> bool:
        from petitions.models import Initiative

        return Initiative.objects.get(pk=initiative(world, kind).pk).status == status

    return effect


def _created(world: Any) -> bool:
    from petitions.models import Initiative

    return Initiative.objects.filter(title="Matrice").exists()


def _create_body(world: Any, role: str) -> dict[str, Any]:
    from tests.petitions.factories import CHARTER

    return {"title": "Matrice", "summary": "Résumé", "body": "Texte", "instruments": [CHARTER]}


def _renamed(world: Any) -> bool:
    from petitions.models import Initiative

    return Initiative.objects.get(pk=initiative(world, "draft").pk).title == "Renamed"


def _invited(world: Any) -> bool:
    from petitions.models import Promoter

    return Promoter.objects.filter(
        initiative=initiative(world, "draft"), user=world.user("unverified")
    ).exists()


def _cosigned(world: Any) -> bool:
    from petitions.models import Promoter

    promoter = Promoter.objects.get(
        initiative=initiative(world, "draft"), user=world.user("other_resident")
    )
    return promoter.cosigned_at is not None


def _signed_by_someone_new(world: Any) -> bool:
    from petitions.models import Signature

    return (
        Signature.objects.filter(initiative=initiative(world, "collecting"))
        .exclude(register_entry=world.user("resident").register_entry)
        .exists()
    )


def _resident_signature_withdrawn(world: Any) -> bool:
    from petitions.models import Signature

    return not Signature.objects.filter(
        initiative=initiative(world, "collecting"),
        register_entry=world.user("resident").register_entry,
    ).exists()


def _paper_line(world: Any, role: str) -> dict[str, Any]:
    return {"register_entry_id": world.free_entry.pk, "sheet_ref": "F-1"}


def _paper_entered(world: Any) -> bool:
    from petitions.models import PaperRejection, Signature

    target = initiative(world, "collecting")
    return (
        Signature.objects.filter(initiative=target, channel="paper").exists()
        or PaperRejection.objects.filter(initiative=target).exists()
    )


def _with_a_signature(world: Any) -> dict[str, Any]:
    initiative(world, "collecting")  # signed by the resident
    return {}


def _own_signatures_only(world: Any, role: str, data: Any) -> None:
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    expected = 1 if role == "resident" else 0
    assert len(rows) == expected, f"{role} sees {len(rows)} signatures, expected {expected}"


def obligation(world: Any) -> Any:
    from django.utils import timezone

    from petitions.models import Obligation, TrackRung

    cache = world.__dict__.setdefault("petitions", {})
    if "obligation" not in cache:
        target = initiative(world, "collecting")
        rung: Any = TrackRung.objects.filter(track__initiative=target).order_by("pk").first()
        cache["obligation"] = Obligation.objects.create(
            track_rung=rung,
            initiative=target,
            kind=rung.obligation_kind,
            text=rung.obligation_text,
            created_at=timezone.now(),
            due_at=timezone.now() + timedelta(days=rung.due_days),
        )
    return cache["obligation"]


def obligation_document(world: Any) -> Any:
    """A document on the world's obligation (its row only: no file is read or served here)."""
    from django.utils import timezone

    from petitions.models import ObligationDocument

    cache = world.__dict__.setdefault("petitions", {})
    if "document" not in cache:
        cache["document"] = ObligationDocument.objects.create(
            obligation=obligation(world),
            title="Compte rendu",
            file="obligations/matrix.pdf",
            filename="compte-rendu.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_at=timezone.now(),
            uploaded_by=world.user("moderator"),
        )
    return cache["document"]


def _document_ids(world: Any) -> dict[str, int]:
    document = obligation_document(world)
    return {"id": document.obligation_id, "document_pk": document.pk}


def _document_withdrawn(world: Any) -> bool:
    from petitions.models import ObligationDocument

    return ObligationDocument.objects.get(pk=obligation_document(world).pk).withdrawn_at is not None


def _obligation_done(world: Any) -> bool:
    from petitions.models import Obligation

    return Obligation.objects.get(pk=obligation(world).pk).status == "done"


def _reason(world: Any, role: str) -> dict[str, Any]:
    from petitions.models import RejectionReason

    reason: Any = RejectionReason.objects.filter(active=True).first()
    return {"reason": reason.code, "text": "Doublon"}


def _criteria_body(world: Any, role: str) -> dict[str, Any]:
    entry_id = world.user("resident").register_entry_id
    return {"criteria": {"register_entry_ids": [entry_id]}, "reason": "fraudulent"}


def _invalidation_requested(world: Any) -> bool:
    from petitions.models import Invalidation

    return Invalidation.objects.filter(initiative=initiative(world, "collecting")).exists()


def _applied_invalidation(world: Any) -> dict[str, Any]:
    """An applied invalidation of the resident's signature (its job run here, synchronously)."""
    from django.utils import timezone

    from petitions.models import Invalidation
    from petitions.services import invalidation_run

    cache = world.__dict__.setdefault("petitions", {})
    if "invalidation" not in cache:
        target = initiative(world, "collecting")
        item = Invalidation.objects.create(
            initiative=target,
            criteria={"register_entry_ids": [world.user("resident").register_entry_id]},
            reason="fraudulent",
            matched=1,
            created_by=world.user("moderator"),
            created_at=timezone.now(),
        )
        invalidation_run(invalidation_id=item.pk)
        cache["invalidation"] = item
    return {"id": cache["invalidation"].pk}


def _undo_started(world: Any) -> bool:
    from petitions.models import Invalidation

    return Invalidation.objects.get(pk=world.__dict__["petitions"]["invalidation"].pk).state in (
        "undoing",
        "undone",
    )


def _moderation_is(value: str) -> Any:
    def effect(world: Any) -> bool:
        from petitions.models import Initiative

        return Initiative.objects.get(pk=initiative(world, "collecting").pk).moderation == value

    return effect


def _extended(world: Any) -> bool:
    from petitions.models import CollectionChange

    return CollectionChange.objects.filter(
        initiative=initiative(world, "collecting"), kind="extended"
    ).exists()


def _collection_paused(world: Any) -> bool:
    from petitions.models import Initiative

    target = initiative(world, "collecting")
    return Initiative.objects.get(pk=target.pk).collection_paused_at is not None


def _paused_collection(world: Any) -> dict[str, Any]:
    """The collecting initiative with its collection suspended by a moderator."""
    from petitions.services import collection_suspend

    cache = world.__dict__.setdefault("petitions", {})
    target = initiative(world, "collecting")
    if "paused" not in cache:
        collection_suspend(initiative_id=target.pk, actor=world.user("moderator"), reason="Recours")
        cache["paused"] = True
    return {"id": target.pk}


def _reason_body(world: Any, role: str) -> dict[str, Any]:
    return {"reason": "Matrice"}


# A draft or a review is visible to its initiator, its invited promoters and moderators only:
# everyone else gets the 404 of a missing initiative; a moderator who may see it but not do the
# initiator's part gets 403.
INITIATOR_ONLY_ON_DRAFT = roles(
    NOT_FOUND,
    anonymous=DENIED,
    resident=OK,
    other_resident=DENIED,
    **dict.fromkeys(("administrator", "moderator"), DENIED),
)
MODERATOR_ONLY_ON_REVIEW = roles(
    NOT_FOUND, anonymous=DENIED, resident=DENIED, administrator=OK, moderator=OK
)

MATRIX: dict[tuple[str, str], Row] = {
    ("GET", f"{BASE}/"): Row(expect=roles(OK), note="published initiatives and one's own drafts"),
    ("POST", f"{BASE}/"): Row(
        # Verified residents only; staff accounts are not on the register.
        expect=roles(DENIED, resident=OK, other_resident=OK),
        body=_create_body,
        effect=_created,
    ),
    ("GET", f"{BASE}/{{id}}/"): Row(expect=roles(OK), params=_id("collecting")),
    ("PATCH", f"{BASE}/{{id}}/"): Row(
        expect=INITIATOR_ONLY_ON_DRAFT,
        params=_id("draft"),
        body=lambda world, role: {"title": "Renamed"},
        effect=_renamed,
    ),
    ("POST", f"{BASE}/{{id}}/submit/"): Row(
        # The initiator gets past the checks; the draft lacks co-signed promoters (409/400).
        expect={**INITIATOR_ONLY_ON_DRAFT, "resident": REFUSED},
        params=_id("draft"),
        effect=_status_is("draft", "submitted"),
    ),
    ("POST", f"{BASE}/{{id}}/promoters/"): Row(
        expect=INITIATOR_ONLY_ON_DRAFT,
        params=_id("draft"),
        body=lambda world, role: {"email": world.users["unverified"].email},
        effect=_invited,
    ),
    ("POST", f"{BASE}/{{id}}/promoters/mine/"): Row(
        # Only the invited promoter co-signs; the initiator is not invited to their own draft.
        expect=roles(
            NOT_FOUND,
            anonymous=DENIED,
            resident=DENIED,
            other_resident=OK,
            administrator=DENIED,
            moderator=DENIED,
        ),
        params=_id("draft"),
        effect=_cosigned,
    ),
    ("POST", f"{BASE}/{{id}}/review/"): Row(
        expect=MODERATOR_ONLY_ON_REVIEW,
        params=_id("submitted"),
        effect=_status_is("submitted", "in_review"),
    ),
    ("POST", f"{BASE}/{{id}}/publish/"): Row(
        expect=MODERATOR_ONLY_ON_REVIEW,
        params=_id("in_review"),
        effect=_status_is("in_review", "collecting"),
    ),
    ("POST", f"{BASE}/{{id}}/reject/"): Row(
        expect=MODERATOR_ONLY_ON_REVIEW,
        params=_id("in_review"),
        body=_reason,
        effect=_status_is("in_review", "rejected"),
    ),
    ("POST", f"{BASE}/{{id}}/withdraw/"): Row(
        # Published, so visible to all: only its initiator may withdraw it.
        expect=roles(DENIED, resident=OK),
        params=_id("collecting"),
        effect=_status_is("collecting", "withdrawn"),
    ),
    ("POST", f"{BASE}/{{id}}/signatures/"): Row(
        # The resident has signed already: the same answer again (idempotent), nothing new.
        expect=roles(DENIED, resident=NO_EFFECT, other_resident=OK),
        params=_id("collecting"),
        effect=_signed_by_someone_new,
    ),
    ("DELETE", f"{BASE}/{{id}}/signatures/mine/"): Row(
        # Withdraws one's own signature only; a resident who had not signed gets the same 204.
        expect=roles(DENIED, resident=OK, other_resident=NO_EFFECT),
        params=_id("collecting"),
        effect=_resident_signature_withdrawn,
    ),
    ("GET", f"{BASE}/{{id}}/count/"): Row(expect=roles(OK), params=_id("collecting")),
    ("GET", f"{BASE}/{{id}}/paper-rejections/"): Row(expect=roles(OK), params=_id("collecting")),
    ("POST", f"{BASE}/{{id}}/paper-signatures/"): Row(
        expect=roles(DENIED, **MODERATORS),
        params=_id("collecting"),
        body=_paper_line,
        effect=_paper_entered,
    ),
    ("GET", "/api/v1/me/signatures/"): Row(
        expect=roles(OK, anonymous=DENIED),
        params=_with_a_signature,
        check=_own_signatures_only,
    ),
    ("GET", "/api/v1/obligations/"): Row(expect=roles(OK), note="public accountability"),
    ("POST", "/api/v1/obligations/{id}/done/"): Row(
        expect=roles(DENIED, administrator=OK, moderator=OK, assembly_clerk=OK),
        params=lambda world: {"id": obligation(world).pk},
        body=lambda world, role: {"evidence": "https://example.org/deliberation"},
        effect=_obligation_done,
    ),
    ("GET", "/api/v1/instrument-types/"): Row(expect=roles(OK), note="public reference data"),
    ("GET", f"{BASE}/{{id}}/invalidations/"): Row(
        expect=roles(DENIED, **MODERATORS), params=_id("collecting")
    ),
    ("POST", f"{BASE}/{{id}}/invalidations/"): Row(
        expect=roles(DENIED, **MODERATORS),
        params=_id("collecting"),
        body=_criteria_body,
        effect=_invalidation_requested,
    ),
    ("POST", f"{BASE}/{{id}}/invalidations/preview/"): Row(
        expect=roles(DENIED, **MODERATORS), params=_id("collecting"), body=_criteria_body
    ),
    ("GET", f"{BASE}/{{id}}/trending/"): Row(
        expect=roles(DENIED, **MODERATORS), params=_id("collecting"), note="addresses: staff only"
    ),
    ("GET", f"{BASE}/{{id}}/rejections/"): Row(
        expect=roles(OK), params=_id("collecting"), note="public register, no identities"
    ),
    ("GET", "/api/v1/invalidations/{id}/"): Row(
        expect=roles(DENIED, **MODERATORS), params=_applied_invalidation
    ),
    ("POST", f"{BASE}/{{id}}/moderation/"): Row(
        expect=roles(DENIED, **MODERATORS),
        params=_id("collecting"),
        body=lambda world, role: {"moderation": "suspended", "reason": "Matrice"},
        effect=_moderation_is("suspended"),
    ),
    ("POST", f"{BASE}/{{id}}/collection/extend/"): Row(
        expect=roles(DENIED, **MODERATORS),
        params=_id("collecting"),
        body=lambda world, role: {"days": 3, "reason": "Matrice"},
        effect=_extended,
    ),
    ("POST", f"{BASE}/{{id}}/collection/suspend/"): Row(
        expect=roles(DENIED, **MODERATORS),
        params=_id("collecting"),
        body=_reason_body,
        effect=_collection_paused,
    ),
    ("POST", f"{BASE}/{{id}}/collection/resume/"): Row(
        expect=roles(DENIED, **MODERATORS),
        params=_paused_collection,
        body=_reason_body,
        effect=lambda world: not _collection_paused(world),
    ),
    ("GET", f"{BASE}/{{id}}/history/"): Row(
        expect=roles(OK), params=_id("collecting"), note="public history of the collection"
    ),
    ("POST", "/api/v1/obligations/{id}/documents/"): Row(
        # Multipart only: the matrix's JSON body carries no file, so the staff who may attach get
        # past the checks to a 400 (tests/petitions/test_obligation_documents.py uploads).
        expect=roles(DENIED, administrator=REFUSED, moderator=REFUSED, assembly_clerk=REFUSED),
        params=lambda world: {"id": obligation(world).pk},
        body=lambda world, role: {"title": "Compte rendu"},
    ),
    ("POST", "/api/v1/obligations/{id}/documents/{document_pk}/withdraw/"): Row(
        expect=roles(DENIED, administrator=OK, moderator=OK, assembly_clerk=OK),
        params=_document_ids,
        body=lambda world, role: {"reason": "Retiré par erreur de dépôt."},
        effect=_document_withdrawn,
    ),
    ("POST", "/api/v1/obligations/{id}/documents/{document_pk}/replace/"): Row(
        # Multipart only, as attaching: the JSON body carries no file (a 400 past the checks).
        expect=roles(DENIED, administrator=REFUSED, moderator=REFUSED, assembly_clerk=REFUSED),
        params=_document_ids,
        body=lambda world, role: {"reason": "Version signée."},
    ),
    ("POST", "/api/v1/invalidations/{id}/undo/"): Row(
        expect=roles(DENIED, **MODERATORS), params=_applied_invalidation, effect=_undo_started
    ),
}
