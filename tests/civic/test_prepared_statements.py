"""The hot paths' statements are prepared on PostgreSQL (civic/db.py), and only they."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civic.api.authentication import token_user
from petitions import services
from tests.factories import ResidentFactory, api_key_for
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = [pytest.mark.django_db]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _mentioning(text: str) -> list[str]:
    return [s for s in _prepared() if text in s]


def test_the_token_lookup_and_the_signature_are_prepared_once_per_connection():
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    residents = [ResidentFactory() for _ in range(3)]
    for resident in residents:
        key = api_key_for(resident)
        user = token_user(key)
        assert user == resident and user.register_entry == resident.register_entry
        outcome = services.signature_sign(initiative_id=initiative.pk, user=user)
        assert outcome.tracks == [CHARTER, LEGAL]
    # One prepared statement each, reused by the three requests; the parameters bound on the
    # server: the statements were written so that every parameter's type is known.
    assert len(_mentioning('FROM "civic_apitoken"')) == 1
    signing = _mentioning("INSERT INTO petitions_signature")
    assert len(signing) == 1 and "$1" in signing[0]
    # Django's own statements stay unprepared (a pooler in front sees nothing new from them).
    assert not _mentioning("django_session") and not _mentioning('civic_user" WHERE')


def test_prepared_statements_can_be_turned_off_for_a_pooler(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER])
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert _mentioning("INSERT INTO petitions_signature") == []


def test_a_query_log_shows_the_statement_with_its_values():
    # While Django logs queries, the same statement runs unprepared so that the log renders it.
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER])
    with CaptureQueriesContext(connection) as ctx:
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    [logged] = [
        q["sql"] for q in ctx.captured_queries if "INSERT INTO petitions_signature" in q["sql"]
    ]
    assert f"SELECT {initiative.pk}, " in logged
    assert _mentioning("INSERT INTO petitions_signature") == []
