"""The count version (petitions/selectors/counts.py): set anew when the fold publishes, when a rung
is reached and when an obligation is done; a count cached under an older version is never served."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from petitions import selectors, services
from petitions.models import Obligation, TrackRung
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_the_fold_sets_a_new_version_once_it_commits_and_not_before(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True)
    before = selectors.count_version()
    assert selectors.count_version() == before  # stable while nothing is published
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.counts_fold()
    assert selectors.count_version() == before  # not before the commit
    for callback in callbacks:
        callback()
    assert selectors.count_version() != before


def test_a_fold_with_nothing_to_publish_keeps_the_version(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    before = selectors.count_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.counts_fold()
    assert selectors.count_version() == before


def test_a_count_cached_under_an_older_version_is_read_again() -> None:
    """A reader that raced the fold (rows read before it committed, cached after) left a count
    tagged with the old version: the next reader ignores it."""
    initiative = InitiativeFactory(collecting=True)
    version = selectors.count_version()
    assert selectors.initiative_count(initiative_id=initiative.pk, version=version).total == 0
    key = selectors.count_cache_key(initiative.pk)
    _total, tracks, updated_at, tag = cache.get(key)
    assert tag == version
    cache.set(key, (41, tracks, updated_at, tag))  # a stale count, under the version it was read
    selectors.count_memo_forget()
    assert selectors.initiative_count(initiative_id=initiative.pk).total == 41  # same version
    selectors.count_version_bump()
    selectors.count_memo_forget()
    fresh = selectors.count_version()
    assert selectors.initiative_count(initiative_id=initiative.pk, version=fresh).total == 0


def test_the_process_memo_answers_a_page_only_under_its_version() -> None:
    initiative = InitiativeFactory(collecting=True)
    version = selectors.count_version()
    selectors.initiative_count(initiative_id=initiative.pk, version=version)
    cache.delete(selectors.count_cache_key(initiative.pk))
    initiative.counts.filter(track=-1).update(count=7)
    # The same version: the memo answers (no read); a new one: the rows are read again.
    assert selectors.initiative_count(initiative_id=initiative.pk, version=version).total == 0
    selectors.count_version_bump()
    fresh = selectors.count_version()
    assert selectors.initiative_count(initiative_id=initiative.pk, version=fresh).total == 7


def test_a_lost_version_comes_back_as_a_new_one() -> None:
    before = selectors.count_version()
    cache.delete("petitions:count-version")
    after = selectors.count_version()
    assert after != before and selectors.count_version() == after


def test_reaching_a_rung_and_completing_its_obligation_set_new_versions(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    with django_capture_on_commit_callbacks(execute=True):
        services.counts_fold()
    before = selectors.count_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rungs_evaluate(initiative_ids=[initiative.pk])
    assert selectors.count_version() != before
    obligation = Obligation.objects.get(initiative=initiative)
    before = selectors.count_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.obligation_complete(
            obligation_id=obligation.pk,
            actor=StaffFactory(role="moderator"),
            evidence="https://ville.example.org/cr",
        )
    assert selectors.count_version() != before


def test_each_process_reuses_the_version_it_read_for_its_memo_and_sees_its_own_bump_at_once(
    settings,
) -> None:  # type: ignore[no-untyped-def]
    """COUNT_VERSION_MEMO_MS (a tenth of a second in production): another process's new version
    shows here once the memo expires; this process's own bump shows at once."""
    settings.COUNT_VERSION_MEMO_MS = 60_000
    before = selectors.count_version()
    cache.set("petitions:count-version", "set-by-another-process")
    assert selectors.count_version() == before  # the memo answers, no cache read
    selectors.count_version_bump()
    bumped = selectors.count_version()
    assert bumped not in (before, "set-by-another-process")
    settings.COUNT_VERSION_MEMO_MS = 0
    cache.set("petitions:count-version", "set-by-another-process")
    assert selectors.count_version() == "set-by-another-process"  # memo off: read every time
