"""The stats API: figures against data built here, suppression, validators, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from dashboards.models import StatsDocument
from petitions import services
from petitions.models import Obligation, TrackRung
from tests.dashboards.factories import sign, tick
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

CITY = "/api/v1/stats/city/"


def _url(initiative, suffix=""):  # type: ignore[no-untyped-def]
    return f"/api/v1/stats/initiatives/{initiative.pk}/{suffix}"


@pytest.fixture
def busy(now):  # type: ignore[no-untyped-def]
    """12 signatures in the centre at 10:00, 3 in the north at 11:00, 11 in the south next day."""
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=20)
    sign(initiative, 12, in_district="centre")
    now.move_to("2026-03-02 11:05")
    sign(initiative, 3, in_district="nord")
    now.move_to("2026-03-03 09:30")
    sign(initiative, 11, in_district="sud")
    tick()
    return initiative


def test_an_initiative_s_figures_are_its_signatures_per_track_and_district(api, busy):
    body = api.get(_url(busy)).json()
    assert body["total"] == 26
    assert body["tracks"][0]["count"] == 26
    cells = {d["district"]: d for d in body["districts"]}
    assert cells["centre"]["count"] == 12
    assert sum(d["count"] or 0 for d in body["districts"]) == 12  # nord, sud hidden below
    assert body["initiative"]["id"] == busy.pk


def test_a_district_below_the_threshold_is_present_and_marked_suppressed(api, busy):
    cells = {d["district"]: d for d in api.get(_url(busy)).json()["districts"]}
    assert cells["nord"] == {
        "district": "nord",
        "name": "Quartier nord",
        "count": None,
        "suppressed": True,
    }
    assert settings.SMALL_CELL_THRESHOLD == 10


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it(api, busy):
    cells = {d["district"]: d for d in api.get(_url(busy)).json()["districts"]}
    # centre 12, sud 11, nord 3: nord alone could be deduced from the total, so sud is hidden too.
    assert cells["sud"]["suppressed"] is True and cells["sud"]["count"] is None
    assert cells["centre"]["count"] == 12


def test_rungs_reached_carry_their_date(api, busy):
    rung = api.get(_url(busy)).json()["tracks"][0]["rungs"][0]
    assert rung["threshold"] == 20
    assert rung["reached"] is True
    assert rung["reached_at"].startswith("2026-03-03")
    assert rung["reached_count"] == 26


def test_signatures_over_time_are_hourly_and_daily_with_cumulative_totals(api, busy):
    total = api.get(_url(busy, "signatures/")).json()["tracks"][0]
    assert total["track"] == -1
    assert [(p["count"], p["cumulative"]) for p in total["hourly"]] == [(12, 12), (3, 15), (11, 26)]
    assert total["daily"] == [
        {"date": "2026-03-02", "count": 15, "cumulative": 15},
        {"date": "2026-03-03", "count": 11, "cumulative": 26},
    ]


def test_a_withdrawal_shows_in_the_next_tick_s_figures(api, busy, now):
    signer = sign(busy, 1, in_district="centre")[0]
    tick()
    services.signature_withdraw(initiative_id=busy.pk, user=signer)
    tick()
    body = api.get(_url(busy)).json()
    assert body["total"] == 26
    assert {d["district"]: d["count"] for d in body["districts"]}["centre"] == 12


def test_an_unpublished_initiative_has_no_statistics(api, now):
    draft = InitiativeFactory()
    tick()
    response = api.get(_url(draft))
    assert response.status_code == 404
    assert response.json()["code"] == "stats_not_found"


def test_an_unknown_initiative_has_no_statistics(api, busy):
    assert api.get(_url(busy, "").replace(str(busy.pk), "999999")).status_code == 404


def test_city_figures_count_initiatives_signatures_and_obligations(api, busy, now):
    InitiativeFactory()  # a draft is not counted
    body = api.get(CITY).json()
    assert body["initiatives_by_status"]["collecting"] == 1
    assert "draft" not in body["initiatives_by_status"]
    assert body["signatures_per_day"] == [
        {"date": "2026-03-02", "count": 15},
        {"date": "2026-03-03", "count": 11},
    ]
    assert body["obligations"]["open"] == Obligation.objects.filter(initiative=busy).count() == 1
    assert body["obligations"]["overdue"] == 0


def test_an_obligation_past_due_is_counted_overdue(api, busy, now):
    Obligation.objects.filter(initiative=busy).update(due_at=timezone.now() - timedelta(days=1))
    tick()
    body = api.get(CITY).json()
    assert body["obligations"]["overdue"] == 1
    assert body["obligations"]["items"][0]["overdue"] is True


def test_answers_carry_validators_and_the_aggregation_interval(api, busy):
    response = api.get(_url(busy))
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert response["Cache-Control"] == f"public, max-age={settings.CIVIC_TICK_SECONDS}"


@pytest.mark.parametrize("path", [CITY, "initiative", "signatures"])
def test_a_conditional_get_with_the_etag_is_answered_304(api, busy, path):
    url = {"initiative": _url(busy), "signatures": _url(busy, "signatures/")}.get(path, path)
    etag = api.get(url)["ETag"]
    response = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert not response.content


def test_a_conditional_get_with_last_modified_is_answered_304(api, busy):
    last_modified = api.get(_url(busy))["Last-Modified"]
    assert api.get(_url(busy), HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304


def test_a_stale_etag_gets_the_new_figures(api, busy, now):
    etag = api.get(_url(busy))["ETag"]
    sign(busy, 2)
    tick()
    response = api.get(_url(busy), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["total"] == 28


def test_a_tick_with_nothing_new_keeps_the_validators(api, busy):
    before = api.get(_url(busy))
    tick()
    after = api.get(_url(busy))
    assert after["ETag"] == before["ETag"]
    assert after["Last-Modified"] == before["Last-Modified"]


def test_each_stats_endpoint_is_one_query(api, busy, django_assert_num_queries):
    for url in (CITY, _url(busy), _url(busy, "signatures/")):
        with django_assert_num_queries(1):
            assert api.get(url).status_code == 200


def test_the_list_costs_the_same_queries_at_page_size_10_and_100(
    api, now, django_assert_num_queries
):
    for _ in range(12):
        InitiativeFactory(collecting=True)
    tick()
    with django_assert_num_queries(1):
        small = api.get("/api/v1/stats/initiatives/?page_size=10")
    with django_assert_num_queries(1):
        large = api.get("/api/v1/stats/initiatives/?page_size=100")
    assert len(small.json()["results"]) == 10
    assert len(large.json()["results"]) == 12
    assert large.json()["count"] == 12


def test_a_request_never_reads_signatures(api, busy, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        api.get(_url(busy))
        api.get(CITY)
    assert not [q for q in queries if "petitions_signature" in q["sql"]]
    # city; summary, series and listing of one; the list's head
    assert StatsDocument.objects.count() == 5


def test_no_personal_data_in_any_stats_answer(api, busy):
    from civic.models import RegisterEntry

    text = "".join(
        api.get(u).content.decode() for u in (CITY, _url(busy), _url(busy, "signatures/"))
    )
    for entry in RegisterEntry.objects.all():
        assert entry.last_name not in text
        assert entry.ref not in text
    assert busy.initiator.email not in text


def test_a_304_reads_only_the_validators_at_most_once(api, busy, django_assert_max_num_queries):
    etag = api.get(_url(busy))["ETag"]
    with django_assert_max_num_queries(2):  # the documents' version, then the validators
        assert api.get(_url(busy), HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_assert_max_num_queries(
        0
    ):  # remembered while the version holds (re-read each second)
        assert api.get(_url(busy), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_changed_document_is_never_answered_304_once_its_version_is_re_read(api, busy, now):
    from dashboards.selectors import _VERSION

    etag = api.get(_url(busy))["ETag"]
    assert api.get(_url(busy), HTTP_IF_NONE_MATCH=etag).status_code == 304
    sign(busy, 1)
    tick()
    _VERSION.clear()  # the second has passed (monotonic clock, not the frozen one)
    assert api.get(_url(busy), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_list_pages_link_to_the_next_and_answer_304(api, now):
    for _ in range(3):
        InitiativeFactory(collecting=True)
    tick()
    first = api.get("/api/v1/stats/initiatives/?page_size=2")
    body = first.json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert "page=2" in body["next"]
    assert [r["initiative"]["id"] for r in body["results"]] == sorted(
        (r["initiative"]["id"] for r in body["results"]), reverse=True
    )
    again = api.get("/api/v1/stats/initiatives/?page_size=2", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


LIST = "/api/v1/stats/initiatives/"


@pytest.fixture
def listed(api, now):  # type: ignore[no-untyped-def]
    """Twelve collecting initiatives with their documents built."""
    initiatives = [InitiativeFactory(collecting=True) for _ in range(12)]
    tick()
    return initiatives


def test_the_list_never_counts_on_the_request_path(api, listed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"{LIST}?page_size=5&page=2").json()
    assert len(queries) == 1
    assert "COUNT(" not in queries[0]["sql"].upper()
    assert body["count"] == 12
    assert [r["initiative"]["id"] for r in body["results"]] == [i.pk for i in listed][::-1][5:10]


def test_the_list_total_follows_a_newly_published_initiative_at_the_next_tick(api, listed):
    InitiativeFactory(collecting=True)
    assert api.get(LIST).json()["count"] == 12  # the published list is the tick's
    tick()
    assert api.get(LIST).json()["count"] == 13


def test_the_last_page_and_its_links_are_those_of_drf_pagination(api, listed):
    last = api.get(f"{LIST}?page_size=5&page=last").json()
    assert [r["initiative"]["id"] for r in last["results"]] == [i.pk for i in listed][:2][::-1]
    assert last["next"] is None and "page=2" in last["previous"]
    second = api.get(f"{LIST}?page_size=5&page=2").json()
    assert "page=3" in second["next"] and "page=" not in second["previous"]


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "2.0", "99999999999999999999999"])
def test_a_page_that_does_not_exist_is_a_404_with_a_code(api, listed, page):
    response = api.get(f"{LIST}?page_size=5&page={page}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("size", ["0", "-3", "x"])
def test_an_unusable_page_size_falls_back_to_the_default(api, listed, size):
    body = api.get(f"{LIST}?page_size={size}").json()
    assert len(body["results"]) == 12 and body["next"] is None  # default 20 per page


def test_a_page_size_above_the_maximum_is_capped(api, listed):
    from civic.api.pagination import Pagination

    assert Pagination.max_page_size == 100
    assert len(api.get(f"{LIST}?page_size=1000").json()["results"]) == 12


def test_a_list_304_costs_no_query_once_the_head_is_remembered(
    api, listed, django_assert_num_queries, django_assert_max_num_queries
):
    etag = api.get(f"{LIST}?page_size=5")["ETag"]
    with django_assert_max_num_queries(2):  # the documents' version, then the list's head
        assert api.get(f"{LIST}?page_size=5", HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_assert_num_queries(0):
        response = api.get(f"{LIST}?page_size=5", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"] == f"public, max-age={settings.CIVIC_TICK_SECONDS}"


def test_pages_and_sizes_have_their_own_validators(api, listed):
    first = api.get(f"{LIST}?page_size=5")["ETag"]
    assert api.get(f"{LIST}?page_size=5&page=2", HTTP_IF_NONE_MATCH=first).status_code == 200
    assert api.get(f"{LIST}?page_size=6", HTTP_IF_NONE_MATCH=first).status_code == 200


def test_a_list_etag_goes_stale_when_a_listing_changes(api, listed, now):
    from dashboards.selectors import _VERSION

    response = api.get(LIST)
    sign(listed[0], 2)
    tick()
    _VERSION.clear()  # the second has passed (monotonic clock, not the frozen one)
    again = api.get(LIST, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != response["ETag"]
    mine = next(r for r in again.json()["results"] if r["initiative"]["id"] == listed[0].pk)
    assert mine["total"] == 2


def test_a_tick_with_nothing_new_keeps_the_list_validators(api, listed):
    before = api.get(LIST)
    tick()
    after = api.get(LIST)
    assert (after["ETag"], after["Last-Modified"]) == (before["ETag"], before["Last-Modified"])


def test_a_star_on_a_page_that_does_not_exist_is_still_a_404(api, listed):
    assert api.get(f"{LIST}?page=9", HTTP_IF_NONE_MATCH="*").status_code == 404
    unknown = _url(listed[0]).replace(str(listed[0].pk), "999999")
    assert api.get(unknown, HTTP_IF_NONE_MATCH="*").status_code == 404


def test_the_list_is_served_before_the_first_tick_writes_its_head(api, listed):
    from dashboards.models import LISTING_HEAD_ID

    StatsDocument.objects.filter(kind="listing", object_id=LISTING_HEAD_ID).delete()
    body = api.get(f"{LIST}?page_size=5").json()
    assert body["count"] == 12 and len(body["results"]) == 5
    tick()
    assert StatsDocument.objects.filter(kind="listing", object_id=LISTING_HEAD_ID).exists()


def test_a_304_carries_the_headers_the_full_answer_would(api, busy):
    full = api.get(_url(busy))
    short = api.get(_url(busy), HTTP_IF_NONE_MATCH=full["ETag"])
    assert short.status_code == 304
    for name in ("ETag", "Last-Modified", "Cache-Control", "Vary", "Allow"):
        assert short[name] == full[name], name
