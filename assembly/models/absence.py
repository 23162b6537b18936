"""A member tells the clerk ahead of a session that they will not attend. The reason is for the
clerk alone: it never reaches the audit log, the API or a public page."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from assembly.models.draw import Member
from assembly.models.sessions import Session


class AbsenceNotice(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="absence_notices", verbose_name=_("séance")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="absence_notices", verbose_name=_("membre")
    )
    reason = models.CharField(_("motif (pour le greffe seulement)"), max_length=200, blank=True)
    notified_at = models.DateTimeField(_("annoncée le"))

    class Meta:
        ordering = ["notified_at", "id"]
        verbose_name = _("absence annoncée")
        verbose_name_plural = _("absences annoncées")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="absence_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.member_id}"
