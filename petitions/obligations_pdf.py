"""An initiative's obligations as a PDF (civic/pdf.py): each track's rungs, what each rung reached
commits the city to, its due date and state, and the city's answer once met, in the words of the
initiative's page ("Signatures et paliers") and of the obligations page. The live count is left
out: it changes every tick, the obligations seldom."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic.pdf import Block, Document, Heading, Paragraph, Table, absolute
from petitions import selectors
from petitions.models import Initiative, Obligation, ObligationStatus, TrackRung
from petitions.rules import public_title


def _day(value: datetime | None) -> str:
    return date_format(timezone.localtime(value), "j F Y") if value is not None else ""


def obligations_document(initiative: Initiative) -> Document:
    """The document of an initiative whose tracks, rungs and obligations are prefetched
    (`selectors.initiative_page_prefetch`): no query."""
    blocks: list[Block] = [
        Paragraph(
            f"{_('Initiative n° %(id)d') % {'id': initiative.pk}} · "
            f"{initiative.get_status_display()}"
        ),
        Paragraph(
            _(
                "Chaque palier atteint par une initiative engage la ville, avec une échéance. Les engagements en retard sont signalés."
            )
        ),
    ]
    for track in initiative.tracks.all():
        rungs = list(track.rungs.all())
        if not rungs:
            continue
        blocks.append(Heading(track.instrument_type.localized_name))
        blocks.append(
            Paragraph(
                f"{_('Qui peut signer :')} {track.get_predicate_display()} — "
                f"{track.instrument_type.legal_basis}",
                small=True,
            )
        )
        blocks.append(
            Table(
                caption=_("Paliers et engagements de la ville"),
                headings=(_("Seuil"), _("Engagement"), _("État")),
                rows=tuple(_row(rung) for rung in rungs),
                widths=(2, 7, 6),
            )
        )
    if len(blocks) == 2:
        blocks.append(Paragraph(_("Aucun engagement pour le moment.")))
    return Document(
        title=_("Engagements de la ville : %(title)s") % {"title": public_title(initiative)},
        page_url=absolute(initiative.get_absolute_url()),
        filename=_("engagements-initiative-%(id)s.pdf") % {"id": initiative.pk},
        blocks=tuple(blocks),
    )


def _row(rung: TrackRung) -> tuple[str, str, str]:
    due = ngettext("sous %(d)s jour", "sous %(d)s jours", rung.due_days) % {
        "d": localize(rung.due_days)
    }
    obligation: Obligation | None = getattr(rung, "obligation", None)
    return (
        str(localize(rung.threshold)),
        f"{rung.localized_obligation_text} ({due})",
        _state(rung, obligation),
    )


def _state(rung: TrackRung, obligation: Obligation | None) -> str:
    if obligation is None:
        return _("Pas encore atteint")
    if obligation.status == ObligationStatus.DONE:
        parts = [f"{_('Tenu le')} {_day(obligation.done_at)}"]
        if obligation.evidence_url:
            parts.append(f"{_('compte rendu')} : {obligation.evidence_url}")
        if obligation.evidence_text:
            parts.append(obligation.evidence_text)
        return " — ".join(parts)
    if obligation.status == ObligationStatus.SUSPENDED:
        since = _("depuis le %(since)s") % {"since": _day(obligation.suspended_at)}
        reason = obligation.suspension_reason
        return f"{_('Suspendu')} {since} — {_(reason) if reason else ''}".rstrip(" —")
    if selectors.is_overdue(obligation):
        return f"{_('En retard')} " + _("attendu pour le %(due)s") % {
            "due": _day(obligation.due_at)
        }
    return _("Atteint le %(reached)s, à tenir avant le %(due)s") % {
        "reached": _day(rung.reached_at),
        "due": _day(obligation.due_at),
    }
