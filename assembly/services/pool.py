"""The pool the draw works on: who may be drawn (see `assembly.rules.may_be_drawn`), their
published features, and the quotas."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from assembly import sortition
from assembly.models import Mandate, Quota, Reserve, ReserveStatus, Volunteer
from assembly.rules import drawable_volunteers


def pool_volunteers(mandate: Mandate) -> list[Volunteer]:
    """The volunteers the commitment freezes into the pool: those who may be drawn today."""
    return list(drawable_volunteers(mandate, on=timezone.localdate()))


def pool_candidates(volunteers: Iterable[Volunteer]) -> list[sortition.Candidate]:
    return [sortition.Candidate(v.pseudonym, dict(v.features)) for v in volunteers]


def mandate_quotas(mandate: Mandate) -> list[sortition.QuotaSpec]:
    return [
        sortition.QuotaSpec(q.feature.key, q.value, q.min, q.max)
        for q in Quota.objects.filter(feature__mandate=mandate).select_related("feature")
    ]


def reserves_waiting(mandate: Mandate) -> list[Reserve]:
    """The reserve list still waiting, in call order (who may still be drawn is decided by the
    caller, with `assembly.rules.volunteer_may_be_drawn`)."""
    return list(
        Reserve.objects.filter(mandate=mandate, status=ReserveStatus.WAITING)
        .select_related("volunteer__register_entry__district")
        .order_by("rank")
    )
