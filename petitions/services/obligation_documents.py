"""Staff attach the documents of the city's answer to an obligation met (docs/civic-rules.md,
"The city's answer"): checked on their content and size before anything is stored, stored through
Django's storage under an unguessable name, audited, listed on the public pages and in the API.

A document is a public record: staff may withdraw it or replace it by a new one, with a public
reason, never delete it. The row stays in the answer's history (title, name, size, checksum, who
withdrew it, when and why); only its stored file is removed, once the change commits."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import User
from civic.roles import Role, has_role
from petitions.documents import safe_filename, sniff
from petitions.models import Obligation, ObligationDocument, ObligationStatus
from petitions.selectors import count_version_bump
from petitions.services.collection import public_reason

TITLE_MAX = 200


def _checked(upload: Any) -> tuple[str, str, int]:
    """(content type, download name, size) of an acceptable upload; DomainError otherwise."""
    if upload is None:
        raise DomainError(_("Choisissez un fichier."), code="document_missing")
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise DomainError(_("Le fichier est vide."), code="document_empty")
    limit = int(settings.PETITIONS_DOCUMENT_MAX_BYTES)
    if size > limit:
        raise DomainError(
            _("Le fichier dépasse la taille permise (%(mb)s Mo).") % {"mb": limit // 1_048_576},
            code="document_too_large",
        )
    sniffed = sniff(upload)
    if sniffed is None:
        raise DomainError(
            _("Ce fichier n'est ni un PDF, ni un document ODT ou DOCX, ni une image PNG ou JPEG."),
            code="document_type_refused",
        )
    return sniffed.content_type, safe_filename(getattr(upload, "name", ""), sniffed.extension), size


def _digest(upload: Any) -> str:
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _require_staff(actor: User) -> None:
    """Moderators and the assembly clerk, as for completing an obligation."""
    if not has_role(actor, Role.MODERATOR, Role.ASSEMBLY_CLERK):
        raise PermissionDenied(_("Action réservée aux agents."))


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise DomainError(
            _("Donnez au document un titre (200 caractères au plus)."),
            code="document_title_invalid",
        )
    return title


def _locked_obligation_done(obligation_id: int) -> Obligation:
    obligation = Obligation.objects.select_for_update().filter(pk=obligation_id).first()
    if obligation is None:
        raise NotFound(_("Engagement introuvable."), code="obligation_not_found")
    if obligation.status != ObligationStatus.DONE:
        raise Conflict(
            _("Les documents accompagnent la réponse d'un engagement tenu."),
            code="obligation_not_done",
        )
    return obligation


def _store(obligation: Obligation, actor: User, upload: Any, title: str) -> ObligationDocument:
    """Store a checked upload and save its row (in the caller's transaction); the file is removed
    again if the row cannot be saved."""
    content_type, filename, size = _checked(upload)
    document = ObligationDocument(
        obligation=obligation,
        title=title,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=_digest(upload),
        uploaded_at=timezone.now(),
        uploaded_by=actor,
    )
    stored_as = f"{secrets.token_urlsafe(16)}.{filename.rsplit('.', 1)[-1]}"
    document.file.save(stored_as, File(upload), save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    transaction.on_commit(count_version_bump)
    return document


def _facts(document: ObligationDocument) -> dict[str, Any]:
    """What the audit keeps of a document (the public history keeps the same on its row)."""
    return {
        "document_id": document.pk,
        "obligation_id": document.obligation_id,
        "title": document.title,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
    }


def obligation_document_attach(
    *, obligation_id: int, actor: User, upload: Any, title: str
) -> ObligationDocument:
    """Attach one document to an obligation met. A refused file leaves nothing behind (checked
    before it is stored)."""
    _require_staff(actor)
    title = _title(title)
    _checked(upload)
    with transaction.atomic():
        obligation = _locked_obligation_done(obligation_id)
        document = _store(obligation, actor, upload, title)
        try:
            audit_record(
                actor=actor,
                verb="obligation.document_attached",
                target=document,
                after={
                    "obligation_id": obligation.pk,
                    "title": title,
                    "content_type": document.content_type,
                    "size": document.size,
                    "sha256": document.sha256,
                },
            )
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def _locked_in_force(obligation_id: int, document_id: int) -> ObligationDocument:
    """The document, locked, if it belongs to that obligation and is still in force."""
    document = (
        ObligationDocument.objects.select_for_update()
        .filter(pk=document_id, obligation_id=obligation_id)
        .first()
    )
    if document is None:
        raise NotFound(_("Document introuvable."), code="document_not_found")
    if document.withdrawn_at is not None:
        raise Conflict(_("Ce document a déjà été retiré ou remplacé."), code="document_withdrawn")
    return document


def _withdraw(
    document: ObligationDocument,
    *,
    actor: User,
    reason: str,
    replaced_by: ObligationDocument | None = None,
) -> None:
    """Mark the locked document withdrawn (its row kept, public) and remove its stored file once
    the transaction commits."""
    stored = document.file.name
    storage = document.file.storage
    document.withdrawn_at = timezone.now()
    document.withdrawn_by = actor
    document.withdrawal_reason = reason
    document.replaced_by = replaced_by
    document.file = ""
    document.save(
        update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "replaced_by", "file"]
    )
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    transaction.on_commit(count_version_bump)


def obligation_document_withdraw(
    *, obligation_id: int, document_id: int, actor: User, reason: str
) -> ObligationDocument:
    """Withdraw a document of the city's answer, with a public reason: the public history shows
    that it was withdrawn, when and why, with the name and checksum it had."""
    _require_staff(actor)
    reason = public_reason(reason)
    with transaction.atomic():
        document = _locked_in_force(obligation_id, document_id)
        _withdraw(document, actor=actor, reason=reason)
        audit_record(
            actor=actor,
            verb="obligation.document_withdrawn",
            target=document,
            before=_facts(document),
            after={"reason": reason},
        )
    return document


def obligation_document_replace(
    *,
    obligation_id: int,
    document_id: int,
    actor: User,
    upload: Any,
    reason: str,
    title: str = "",
) -> ObligationDocument:
    """Replace a document of the city's answer by a new upload (checked as any), with a public
    reason: the old one stays in the history, marked replaced. Returns the new document. A
    refused file or reason changes nothing."""
    _require_staff(actor)
    reason = public_reason(reason)
    title = _title(title) if (title or "").strip() else ""
    _checked(upload)
    with transaction.atomic():
        obligation = _locked_obligation_done(obligation_id)
        old = _locked_in_force(obligation_id, document_id)
        new = _store(obligation, actor, upload, title or old.title)
        try:
            _withdraw(old, actor=actor, reason=reason, replaced_by=new)
            audit_record(
                actor=actor,
                verb="obligation.document_replaced",
                target=old,
                before=_facts(old),
                after={**_facts(new), "reason": reason},
            )
        except Exception:
            new.file.delete(save=False)
            raise
    return new
