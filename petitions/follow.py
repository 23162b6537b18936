"""Initiatives can be followed (civic.follows); whoever signed one online follows it unasked.
Followers hear of each rung reached, of each answer the city gives and of each moderation change
(suspended, unpublished, reinstated; collection extended, suspended, resumed) (the initiative's own people
are told by the services already, so they are left out here)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from civic.events import Event, subscriber
from civic.follows import FollowTarget, broadcast, register
from civic.models import User
from petitions.models import Initiative, Signature

KIND = "petitions.initiative"


def _describe(initiative_id: int) -> tuple[str, str] | None:
    initiative = Initiative.objects.filter(pk=initiative_id, published_at__isnull=False).first()
    return (initiative.title, initiative.get_absolute_url()) if initiative else None


def _signers(initiative_id: int) -> QuerySet[User]:
    entries = Signature.objects.filter(initiative_id=initiative_id, channel="online").values(
        "register_entry_id"
    )
    return User.objects.filter(register_entry_id__in=entries)


register(KIND, FollowTarget(label=_("Initiative"), describe=_describe, implicit=_signers))


@subscriber("petitions.obligation_reached")
def tell_followers_rung_reached(event: Event) -> None:
    broadcast(
        kind=KIND,
        target_id=int(event.payload["initiative_id"]),
        notification_kind="follow.rung_reached",
        subject=gettext_noop("« %(title)s » a franchi un palier"),
        body=gettext_noop(
            "L'initiative « %(title)s » a recueilli assez de signatures pour franchir un palier. "
            "Sa page dit ce que la ville doit faire, et avant quelle date."
        ),
        params={},
        exclude=[int(pk) for pk in event.payload.get("initiator_user_ids", [])],
    )


@subscriber("petitions.obligation_done")
def tell_followers_city_answered(event: Event) -> None:
    broadcast(
        kind=KIND,
        target_id=int(event.payload["initiative_id"]),
        notification_kind="follow.city_answered",
        subject=gettext_noop("La ville a répondu à « %(title)s »"),
        body=gettext_noop(
            "La ville a tenu un engagement pour l'initiative « %(title)s ». Sa réponse est sur la "
            "page de l'initiative."
        ),
        params={},
    )


@subscriber("petitions.collection_changed")
def tell_followers_collection_changed(event: Event) -> None:
    """A moderator suspended, unpublished or reinstated the initiative, or extended, suspended or
    resumed its collection: the followers are told, with the change; its reason is on the page."""
    broadcast(
        kind=KIND,
        target_id=int(event.payload["initiative_id"]),
        notification_kind="follow.collection_changed",
        subject=gettext_noop("« %(title)s » : la collecte ou la publication a changé"),
        body=gettext_noop(
            "La modération a changé la publication ou la collecte de l'initiative « %(title)s ». "
            "Le changement, sa date et son motif sont dans l'historique de sa page."
        ),
        params={},
        exclude=[int(pk) for pk in event.payload.get("initiator_user_ids", [])],
    )
