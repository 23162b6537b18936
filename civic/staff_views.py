"""The staff space: the home page of each role's tasks, and the register's figures by district."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civic.models import District, EntryKind
from civic.roles import Role, has_role, is_staff_member, may_read_register
from civic.staff import staff_sections


def _require_staff_member(request: HttpRequest) -> None:
    if not is_staff_member(request.user):
        raise PermissionDenied


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Each role's tasks, with the work waiting, and only links the role may open."""
    _require_staff_member(request)
    roles = [role.label for role in Role if has_role(request.user, role)]
    if has_role(request.user, Role.ADMINISTRATOR):
        roles = [Role.ADMINISTRATOR.label]
    return render(
        request,
        "civic/staff_home.html",
        {"sections": staff_sections(request.user), "roles": roles},
    )


def register_counts() -> list[dict[str, Any]]:
    """Active entries per district and kind: figures only, no person (one query)."""
    kinds = {
        kind.value: Count("entries", filter=Q(entries__active=True, entries__kind=kind.value))
        for kind in EntryKind
    }
    found: list[dict[str, Any]] = list(
        District.objects.order_by("name").values("name", **kinds)  # type: ignore[arg-type]
    )
    return [
        {
            "name": row["name"],
            "counts": [row[kind.value] for kind in EntryKind],
            "total": sum(row[kind.value] for kind in EntryKind),
        }
        for row in found
    ]


@login_required
def staff_register_counts(request: HttpRequest) -> HttpResponse:
    """The register as figures, for every staff role; the entries themselves only for the roles
    that need them (civic.roles.REGISTER_READERS)."""
    _require_staff_member(request)
    rows = register_counts()
    labels = [kind.label for kind in EntryKind]
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(EntryKind))]
    for row in rows:
        row["cells"] = list(zip(labels, row["counts"], strict=True))
    return render(
        request,
        "civic/staff_register.html",
        {
            "rows": rows,
            "kinds": labels,
            "totals": list(zip(labels, totals, strict=True)),
            "grand_total": sum(totals),
            "may_read_register": may_read_register(request.user),
        },
    )
