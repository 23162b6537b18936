"""Ballot secrecy by construction and coercion resistance (issue 17, findings 4, 5 and the sealing
table of 12): no statement holds the voter and the choice, option keys of one length, receipts
checkable only right after the cast, the server's statement logging flagged, the sealing keys
rewritten out of the table after the close."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import checks
from django.db import connection, transaction
from django.utils import timezone

from civic.errors import Conflict
from referendums.checks import check_server_statement_logging, statement_logging_offences
from referendums.models import (
    Ballot,
    Campaign,
    CampaignStatus,
    Option,
    Participation,
    ReceiptHash,
    SealingKey,
)
from referendums.selectors import personal_data_export
from referendums.services.voting import ballot_cast, receipt_check, state_memo_forget
from referendums.tasks import vacuum_after_close
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


# --- Finding 4: no statement holds both the voter and the choice ------------------------------


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    """Every statement the connection sends, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def _values(params: Any) -> list[Any]:
    if params is None:
        return []
    if isinstance(params, dict):
        return list(params.values())
    return list(params)


def _holds_voter(sql: str, params: Any, voter: Any, participation_ids: set[int]) -> bool:
    entry = voter.register_entry
    markers = {entry.pk, voter.pk, *participation_ids}
    for value in _values(params):
        if isinstance(value, int) and not isinstance(value, bool) and value in markers:
            return True
        if isinstance(value, str) and entry.identity_hash and entry.identity_hash in value:
            return True
    return entry.identity_hash in sql


def _holds_choice(sql: str, params: Any) -> bool:
    texts = [sql, *(v for v in _values(params) if isinstance(v, str))]
    return any('"o1"' in t or '"o2"' in t or "'o1'" in t or "'o2'" in t for t in texts)


def _far_ids() -> None:
    """Voters' ids far from any campaign, slot or count, so a parameter equal to one is the
    voter's and nothing else."""
    with connection.cursor() as cursor:
        for table in ("civic_registerentry", "civic_user", "referendums_participation"):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), 7000000 + (random() * 1000)::int)",
                [table],
            )


@pytest.mark.parametrize("memo", [True, False], ids=["short-path", "transactional-path"])
def test_no_statement_of_a_cast_or_a_re_vote_holds_both_the_voter_and_the_choice(open_vote, memo):
    _far_ids()
    vote = open_vote(voters=3)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[2], choices=vote.choices("no"))
    if not memo:
        state_memo_forget()
    voter = vote.voters[0]
    with _statements() as first:
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("yes"))
    participation_ids = set(Participation.objects.values_list("pk", flat=True))
    with _statements() as again:
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("no"))
    for sent in (first, again):
        assert any(_holds_voter(sql, p, voter, participation_ids) for sql, p in sent)
        assert any(_holds_choice(sql, p) for sql, p in sent)
        both = [
            sql
            for sql, p in sent
            if _holds_voter(sql, p, voter, participation_ids) and _holds_choice(sql, p)
        ]
        assert both == []


# --- Finding 4: option keys of one length -----------------------------------------------------


def _draft(staff_api: Any, options: list[dict[str, str]]) -> Campaign:
    from tests.referendums.test_api import _payload

    response = staff_api("campaign_manager").post(
        "/api/v1/referendums/",
        _payload(questions=[{"text_fr": "Quel tracé ?", "options": options}]),
        format="json",
    )
    assert response.status_code == 201, response.content
    return Campaign.objects.get(pk=response.json()["id"])


def test_every_option_key_of_a_vote_has_the_same_length(staff_api):
    campaign = _draft(
        staff_api,
        [
            {"key": "yes", "label_fr": "Oui"},
            {"key": "no", "label_fr": "Non"},
            {"key": "abstention-motivee", "label_fr": "Je ne sais pas encore"},
        ],
    )
    options = list(Option.objects.filter(question__campaign=campaign).order_by("position"))
    assert [(o.key, o.meaning) for o in options] == [("o1", "yes"), ("o2", "no"), ("o3", "")]
    assert len({len(o.key) for o in options}) == 1


def test_more_than_nine_options_are_refused(staff_api):
    from tests.referendums.test_api import _payload

    options = [{"label_fr": f"Tracé {i}"} for i in range(10)]
    response = staff_api("campaign_manager").post(
        "/api/v1/referendums/",
        _payload(questions=[{"text_fr": "Quel tracé ?", "options": options}]),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_options"


def test_a_vote_request_has_the_same_size_whatever_the_choice(open_vote, client):
    """A TLS record is as long as its plaintext: the request body must not depend on the choice,
    for the page's form and for the API."""
    vote = open_vote(voters=1)
    client.force_login(vote.voters[0])
    page = client.get(f"/referendums/{vote.campaign.pk}/vote/").content.decode()
    field = f"q{vote.question_id}"
    values = [o.key for o in Option.objects.filter(question__campaign=vote.campaign)]
    assert len(values) == 2 and all(f'value="{v}"' in page for v in values)
    form_sizes = {
        len(urlencode({"csrfmiddlewaretoken": "x" * 64, field: v, "step": "cast"})) for v in values
    }
    api_sizes = {len(json.dumps({"choices": {vote.question_id: v}})) for v in values}
    assert len(form_sizes) == 1 and len(api_sizes) == 1


def test_the_migration_re_keys_votes_not_yet_open_and_leaves_closed_ones(db):
    migration = importlib.import_module(
        "referendums.migrations.0003_secrecy_fixed_keys_receipt_window"
    )
    draft = CampaignFactory(status=CampaignStatus.CAMPAIGN)
    closed = CampaignFactory(
        status=CampaignStatus.CLOSED, opened_at=timezone.now(), closed_at=timezone.now()
    )
    # The migration runs before the freeze triggers exist (referendums 0005); here they do, so the
    # legacy rows and the migration's rewrite run with the triggers off, as at that point.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        Option.objects.filter(question__campaign__in=[draft, closed], key="o1").update(key="yes")
        Option.objects.filter(question__campaign__in=[draft, closed], key="o2").update(key="no")
        Option.objects.update(meaning="")
        migration.fixed_keys(django_apps, None)

    def keys(campaign: Campaign) -> list[tuple[str, str]]:
        return list(
            Option.objects.filter(question__campaign=campaign)
            .order_by("position")
            .values_list("key", "meaning")
        )

    assert keys(draft) == [("o1", "yes"), ("o2", "no")]
    # A closed vote's published box hashes its keys: they stay, the meaning is added.
    assert keys(closed) == [("yes", "yes"), ("no", "no")]


def test_a_verdict_reads_the_meaning_not_the_key(open_vote, close_vote):
    vote = open_vote(voters=3, majority_rule="simple")
    for i, choice in enumerate(["yes", "yes", "no"]):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    campaign = close_vote(vote.campaign)
    assert campaign.results["questions"][0]["verdict"]["adopted"] is True


# --- Finding 5: a receipt proves nothing to a coercer ------------------------------------------


def _check(vote: Any, receipt: str) -> Any:
    return vote.client(0).post(
        f"/api/v1/referendums/{vote.campaign.pk}/receipts/check/",
        {"receipt": receipt},
        format="json",
    )


def test_a_receipt_is_checkable_right_after_the_cast_and_not_after_the_window(open_vote, freeze):
    vote = open_vote(voters=1)
    cast_at = vote.campaign.voting_opens_at + timedelta(minutes=10)
    freeze(cast_at)
    receipt = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    ).receipt
    response = _check(vote, receipt)
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True}
    freeze(cast_at + timedelta(minutes=settings.RECEIPT_CHECK_MINUTES + 2))
    response = _check(vote, receipt)
    assert response.status_code == 409
    assert response.json()["code"] == "receipt_not_checkable"


def test_an_unknown_receipt_is_not_received(open_vote):
    vote = open_vote(voters=1)
    response = _check(vote, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert response.status_code == 200
    assert response.json() == {"received": False}


def test_a_re_vote_keeps_the_old_receipt_and_its_check_says_received_only(open_vote):
    vote = open_vote(voters=1)
    first = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    )
    second = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no")
    )
    assert second.revote
    # Superseded or not, the same answer: a coercer holding the first receipt learns nothing.
    assert _check(vote, first.receipt).json() == {"received": True}
    assert _check(vote, second.receipt).json() == {"received": True}
    assert ReceiptHash.objects.filter(campaign=vote.campaign).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_of_one_receipt_spend_at_most_the_limit(open_vote, settings):
    vote = open_vote(voters=1)
    receipt = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    ).receipt
    barrier = threading.Barrier(12)
    outcomes: list[Any] = [None] * 12

    def worker(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = receipt_check(campaign_id=vote.campaign.pk, code=receipt)
        except Conflict as exc:
            outcomes[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(True) == settings.RECEIPT_CHECK_LIMIT
    assert outcomes.count("receipt_not_checkable") == 12 - settings.RECEIPT_CHECK_LIMIT


def test_the_published_box_lists_every_receipt_and_ballots_do_not_link_to_them(
    open_vote, close_vote, api
):
    vote = open_vote(voters=2)
    old = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    )
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no"))
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[1], choices=vote.choices("no"))
    ids_while_open = {str(i) for i in Ballot.objects.values_list("id", flat=True)}
    campaign = close_vote(vote.campaign)
    box = json.loads(api.get(f"/api/v1/referendums/{campaign.pk}/ballot-box/").content)
    assert len(box["receipts"]) == 3 >= len(box["ballots"]) == 2
    from referendums.sealing import receipt_digest

    assert receipt_digest(campaign.pk, old.receipt) in box["receipts"]
    # The counted ballots carry new ids: none is the id sealed with a receipt during the vote.
    assert not ids_while_open & {b["id"] for b in box["ballots"]}
    # And the database no longer tells which receipt a re-vote replaced, nor when one was given.
    assert not ReceiptHash.objects.filter(campaign=campaign, superseded=True).exists()
    assert not ReceiptHash.objects.filter(campaign=campaign, checkable_until__isnull=False).exists()


def test_mes_donnees_shows_no_voting_time_while_the_vote_is_open(open_vote, close_vote):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    row = personal_data_export(user=vote.voters[0])["participations"][0]
    assert row["campaign"] == vote.campaign.pk and row["voted_at"] is None
    close_vote(vote.campaign)
    assert personal_data_export(user=vote.voters[0])["participations"][0]["voted_at"] is not None


# --- Deploy check civic.W040: the server must not log statements -------------------------------


@contextmanager
def _session_settings(**values: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"SET {name} = %s", [value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name in values:
                cursor.execute(f"RESET {name}")


QUIET = {
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_min_duration_sample": "-1",
    "log_transaction_sample_rate": "0",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}


def _w040() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "civic.W040"]


def test_the_deploy_check_is_quiet_when_the_server_logs_no_statement():
    with _session_settings(**QUIET):
        assert check_server_statement_logging() == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("log_statement", "all"),
        ("log_statement", "mod"),
        ("log_min_duration_statement", "0"),
        ("log_parameter_max_length", "-1"),
        ("log_parameter_max_length_on_error", "64"),
        ("log_transaction_sample_rate", "0.01"),
    ],
)
def test_the_deploy_check_warns_when_the_server_logs_statements_or_parameters(name, value):
    with _session_settings(**{**QUIET, name: value}):
        warnings = _w040()
    assert len(warnings) == 1
    assert name in warnings[0].msg


def test_the_deploy_check_reads_auto_explain_and_sampling():
    quiet: dict[str, str | None] = dict(QUIET)
    assert statement_logging_offences(quiet) == []
    explained = {
        **quiet,
        "shared_preload_libraries": "pg_stat_statements,auto_explain",
        "auto_explain.log_min_duration": "0",
    }
    assert statement_logging_offences(explained) == ["auto_explain.log_min_duration = 0"]
    sampled = {**quiet, "log_min_duration_sample": "0", "log_statement_sample_rate": "0.1"}
    assert statement_logging_offences(sampled) == ["log_min_duration_sample = 0"]
    assert statement_logging_offences({**sampled, "log_statement_sample_rate": "0"}) == []


# --- Finding 12: the destroyed sealing keys leave the table file -------------------------------


def _filenode() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_filenode(%s)", [SealingKey._meta.db_table])
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_after_the_close_the_sealing_key_table_is_rewritten_without_the_destroyed_key(
    open_vote, close_vote
):
    still_open = open_vote(voters=1, voting_closes_at=timezone.now() + timedelta(days=6))
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    before = _filenode()
    campaign = close_vote(vote.campaign)
    vacuum_after_close(campaign.pk)  # the task, as Celery runs it: outside a transaction
    assert _filenode() != before  # a new file: the deleted key's bytes are not in it
    assert list(SealingKey.objects.values_list("campaign_id", flat=True)) == [
        still_open.campaign.pk
    ]
