"""An initiative on the assembly's agenda that the petitions' moderators unpublish
(docs/civic-rules.md, "Moderation", "On the assembly's agenda").

The agenda item is the assembly's own record, but its public display follows the initiative's
publication: told by `petitions.collection_changed`, the assembly shows "Initiative dépubliée"
instead of the title on its item (and on a request still waiting for a session), and the request
placed on that item keeps the item's title, so reinstating brings it back as it was (the clerk's
edits included). Minutes are never rewritten: what the public reads of them (page, API, PDF, open
data) has the withdrawn titles of the session's items replaced by the same label, at reading.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from assembly.models import AgendaRequest, Minutes, SourceKind


def withdrawn_title() -> str:
    """The label stored in place of the title, in the assembly's language (its records are)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Initiative dépubliée")


def minutes_public_body(minutes: Minutes) -> str:
    """The minutes' text as the public reads it: the titles of this session's withdrawn
    initiatives replaced by the label (one query)."""
    label = withdrawn_title()
    originals = AgendaRequest.objects.filter(
        source_kind=SourceKind.INITIATIVE,
        placed_item__session_id=minutes.session_id,
        placed_item__title=label,
    ).values_list("title", flat=True)
    body = minutes.body
    for original in originals:
        if original and original != label:
            body = body.replace(original, label)
    return body
