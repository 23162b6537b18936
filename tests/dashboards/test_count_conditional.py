"""The public count (`/api/v1/initiatives/{id}/count/`): a conditional GET is answered from the
validators before DRF's request handling, with the same headers as the full answer, and never
hides a change or an error."""

from __future__ import annotations

import pytest
from django.utils.http import http_date

from petitions import selectors, services
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _url(initiative):  # type: ignore[no-untyped-def]
    return f"/api/v1/initiatives/{initiative.pk}/count/"


@pytest.fixture
def counted(now):  # type: ignore[no-untyped-def]
    return InitiativeFactory(collecting=True)


def test_a_matching_etag_is_a_304_with_the_full_answer_s_headers(api, counted):
    full = api.get(_url(counted))
    short = api.get(_url(counted), HTTP_IF_NONE_MATCH=full["ETag"])
    assert short.status_code == 304 and not short.content
    for name in ("ETag", "Last-Modified", "Cache-Control", "Vary", "Allow"):
        assert short[name] == full[name], name


def test_a_remembered_count_answers_304_without_a_query(api, counted, django_assert_num_queries):
    etag = api.get(_url(counted))["ETag"]
    with django_assert_num_queries(0):
        assert api.get(_url(counted), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_count_changed_by_the_fold_is_a_200_with_new_validators(
    api, counted, django_capture_on_commit_callbacks
):
    before = api.get(_url(counted))
    services.signature_sign(initiative_id=counted.pk, user=ResidentFactory())
    with django_capture_on_commit_callbacks(execute=True):
        services.counts_fold()
    after = api.get(_url(counted), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["signatures"] == 1
    assert after["ETag"] != before["ETag"]


def test_an_older_if_modified_since_is_a_200(api, counted):
    updated = selectors.initiative_count(initiative_id=counted.pk).updated_at
    older = http_date(int(updated.timestamp()) - 1)
    assert api.get(_url(counted), HTTP_IF_MODIFIED_SINCE=older).status_code == 200
    assert (
        api.get(_url(counted), HTTP_IF_MODIFIED_SINCE=http_date(updated.timestamp())).status_code
        == 304
    )


def test_a_stale_etag_wins_over_a_matching_if_modified_since(api, counted):
    modified = api.get(_url(counted))["Last-Modified"]
    response = api.get(_url(counted), HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=modified)
    assert response.status_code == 200


@pytest.mark.parametrize("make", ["draft", "unknown"])
def test_a_conditional_get_of_a_count_that_does_not_exist_is_a_404(api, now, make):
    pk = InitiativeFactory().pk if make == "draft" else 999999
    response = api.get(f"/api/v1/initiatives/{pk}/count/", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 404
    assert response.json()["code"] == "initiative_not_found"
