"""The admin speaks the city's language: every field of every model of the four apps carries a
translated label (a French msgid with its English), never the bare field name."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise

APPS = ("civic", "petitions", "referendums", "assembly")


def labelled_fields():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if field.auto_created and not field.concrete:
                    continue
                if getattr(field, "primary_key", False):
                    continue  # "ID", Django's own label
                yield f"{model._meta.label}.{field.name}", field


def test_every_field_has_a_translated_label():
    bare = [
        name for name, field in labelled_fields() if not isinstance(field.verbose_name, Promise)
    ]
    assert not bare, bare


@pytest.mark.parametrize(
    ("model", "field", "french", "english"),
    [
        ("referendums.PollingStation", "code", "code", "code"),
        ("referendums.ResultSheet", "station", "bureau de vote", "polling station"),
        ("civic.Notification", "read_at", "lu le", "read on"),
        ("assembly.Member", "left_reason", "motif du départ", "reason for leaving"),
    ],
)
def test_a_label_reads_in_both_languages(model, field, french, english):
    label = apps.get_model(model)._meta.get_field(field).verbose_name
    with translation.override("fr"):
        assert str(label) == french
    with translation.override("en"):
        assert str(label) == english
