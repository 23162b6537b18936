"""The published minutes of a session as a PDF (civic/pdf.py): what the session's page shows, in
the same words: the session, its agenda, its votes and the minutes' text. Only published minutes
have one; a draft or approved-but-unpublished text is the clerk's, not the public's."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _

from assembly.models import Minutes, MinutesStatus, MotionStatus, Session
from assembly.withdrawn import minutes_public_body
from civic.pdf import Block, Document, Heading, Paragraph, Table, absolute


def minutes_published(session: Session) -> Minutes | None:
    minutes: Minutes | None = getattr(session, "minutes", None)
    if minutes is None or minutes.status != MinutesStatus.PUBLISHED:
        return None
    return minutes


def minutes_document(session: Session, minutes: Minutes) -> Document:
    """The document of a session's published minutes (a session from
    `selectors.session_detail_queryset`: agenda, motions and minutes prefetched)."""
    starts = date_format(timezone.localtime(session.starts_at), "d/m/Y H:i")
    blocks: list[Block] = [
        Paragraph(f"{starts} — {session.place} · {session.get_status_display()}"),
        Paragraph(session.mandate.title),
        Heading(_("Ordre du jour")),
        *_agenda(session),
        Heading(_("Votes")),
        *_votes(session),
        Heading(_("Procès-verbal")),
        Paragraph(_status_line(minutes), small=True),
        *[
            Paragraph(part.strip())
            for part in minutes_public_body(minutes).split("\n\n")
            if part.strip()
        ],
    ]
    return Document(
        title=session.title,
        page_url=absolute(reverse("assembly:session", args=[session.pk])),
        filename=_("proces-verbal-seance-%(id)s.pdf") % {"id": session.pk},
        blocks=tuple(blocks),
    )


def _agenda(session: Session) -> list[Block]:
    items = list(session.agenda_items.all())
    if not items:
        return [Paragraph(_("L'ordre du jour est vide."))]
    lines = []
    for number, item in enumerate(items, start=1):
        line = f"{number}. {item.title} ({_('%(d)s min') % {'d': localize(item.duration_minutes)}})"
        if item.source_kind != "staff":
            line += f" — {item.get_source_kind_display()}"
        if item.source_url:
            line += f" — {absolute(item.source_url) if item.source_url.startswith('/') else item.source_url}"
        lines.append(line)
    return [Paragraph("\n".join(lines))]


def _votes(session: Session) -> list[Block]:
    motions = list(session.motions.all())
    if not motions:
        return [Paragraph(_("Aucun vote."))]
    rows = []
    for m in motions:
        if m.status == MotionStatus.CLOSED:
            figures = [
                localize(m.votes_for),
                localize(m.votes_against),
                localize(m.abstentions),
                localize(m.present_count),
                m.get_result_display(),
            ]
        else:
            figures = [m.get_status_display(), "", "", "", ""]
        rows.append((m.title, m.get_majority_display(), *figures))
    return [
        Table(
            caption=_("Résultats des votes (majorité calculée automatiquement)"),
            headings=(
                _("Motion"),
                _("Majorité"),
                _("Pour"),
                _("Contre"),
                _("Abstentions"),
                _("Présents"),
                _("Résultat"),
            ),
            rows=tuple(tuple(str(v) for v in row) for row in rows),
            widths=(5, 3, 2, 2, 3, 2, 3),
        )
    ]


def _status_line(minutes: Minutes) -> str:
    line = str(minutes.get_status_display())
    if minutes.approved_in is not None:
        day = date_format(timezone.localtime(minutes.approved_in.starts_at), "d/m/Y")
        line += f" — {_('approuvé lors de la séance du')} {day}"
    return line
