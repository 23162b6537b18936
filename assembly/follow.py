"""The citizens' assembly (a mandate) can be followed (civic.follows) once public; followers hear
of each session's published agenda and of each published minutes."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from assembly import selectors
from civic.events import Event, subscriber
from civic.follows import FollowTarget, broadcast, register

KIND = "assembly.mandate"


def _describe(mandate_id: int) -> tuple[str, str] | None:
    mandate = selectors.mandate_list().filter(pk=mandate_id).first()
    return (mandate.title, reverse("assembly:mandate", args=[mandate.pk])) if mandate else None


register(KIND, FollowTarget(label=_("Assemblée citoyenne"), describe=_describe))


@subscriber("assembly.agenda_published")
def tell_followers_agenda(event: Event) -> None:
    broadcast(
        kind=KIND,
        target_id=int(event.payload["mandate_id"]),
        notification_kind="follow.agenda_published",
        subject=gettext_noop("%(title)s : une séance est annoncée"),
        body=gettext_noop("L'ordre du jour d'une séance de « %(title)s » est publié."),
        params={},
    )


@subscriber("assembly.minutes_published")
def tell_followers_minutes(event: Event) -> None:
    broadcast(
        kind=KIND,
        target_id=int(event.payload["mandate_id"]),
        notification_kind="follow.minutes_published",
        subject=gettext_noop("%(title)s : procès-verbal publié"),
        body=gettext_noop("Le procès-verbal d'une séance de « %(title)s » est publié."),
        params={},
    )
