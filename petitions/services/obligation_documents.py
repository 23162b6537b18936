"""Staff attach the documents of the city's answer to an obligation met (docs/civic-rules.md,
"The city's answer"): checked on their content and size before anything is stored, stored through
Django's storage under an unguessable name, audited, listed on the public pages and in the API."""

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


def obligation_document_attach(
    *, obligation_id: int, actor: User, upload: Any, title: str
) -> ObligationDocument:
    """Attach one document to an obligation met. Moderators and the assembly clerk, as for
    completing it. A refused file leaves nothing behind (checked before it is stored)."""
    if not has_role(actor, Role.MODERATOR, Role.ASSEMBLY_CLERK):
        raise PermissionDenied(_("Action réservée aux agents."))
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise DomainError(
            _("Donnez au document un titre (200 caractères au plus)."),
            code="document_title_invalid",
        )
    content_type, filename, size = _checked(upload)
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update().filter(pk=obligation_id).first()
        if obligation is None:
            raise NotFound(_("Engagement introuvable."), code="obligation_not_found")
        if obligation.status != ObligationStatus.DONE:
            raise Conflict(
                _("Les documents accompagnent la réponse d'un engagement tenu."),
                code="obligation_not_done",
            )
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
        transaction.on_commit(count_version_bump)
        try:
            document.save()
            audit_record(
                actor=actor,
                verb="obligation.document_attached",
                target=document,
                after={
                    "obligation_id": obligation.pk,
                    "title": title,
                    "content_type": content_type,
                    "size": size,
                    "sha256": document.sha256,
                },
            )
        except Exception:
            document.file.delete(save=False)
            raise
    return document
