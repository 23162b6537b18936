"""Pages (server-rendered, working without JavaScript)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from petitions import selectors


def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.initiative_get(initiative_id=pk, viewer=request.user)
    return render(request, "petitions/detail.html", {"initiative": initiative})
