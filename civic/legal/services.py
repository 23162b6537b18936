"""The legal pages' settings: read through the cache (the footer shows the accessibility status on
every page without a query), changed only through `legal_settings_update` (checked, audited)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.forms.models import model_to_dict

from civic.audit import audit_record
from civic.errors import PermissionDenied
from civic.models import LegalSettings, User
from civic.roles import Role, has_role

CACHE_KEY = "civic:legal-settings:v1"
EDITABLE_FIELDS = [f.name for f in LegalSettings._meta.fields if f.editable and f.name != "id"]


def legal_settings() -> LegalSettings:
    """The one row (unsaved defaults before the administrator first saves it)."""
    found = cache.get(CACHE_KEY)
    if isinstance(found, LegalSettings):
        return found
    row = LegalSettings.objects.filter(pk=1).first() or LegalSettings()
    cache.set(CACHE_KEY, row, 300)
    return row


@transaction.atomic
def legal_settings_update(*, actor: User, changes: dict[str, Any]) -> LegalSettings:
    if not has_role(actor, Role.ADMINISTRATOR):
        raise PermissionDenied("Only an administrator edits the legal pages.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not legal settings: {sorted(unknown)}")
    row, _created = LegalSettings.objects.select_for_update().get_or_create(pk=1)
    before = model_to_dict(row, fields=list(changes))
    for name, value in changes.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        verb="legal.settings_updated",
        target=row,
        before=before,
        after=model_to_dict(row, fields=list(changes)),
    )
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    return row
