"""HTTP caching of the public pages (civic/http_cache.py): the same bytes for every anonymous
visitor of one language, `Cache-Control: public` with a strong ETag and 304s, never a cookie, a
CSRF token or `Vary: Cookie`; signed-in pages `private`; English under /en/; bad input never 500."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import LocalePrefixPattern, URLResolver

from civic.http_cache import page_memo_forget
from civic.languages import UNPREFIXED
from config import urls
from petitions.models import Initiative
from petitions.services.counting import counts_fold
from petitions.services.signatures.online import signature_sign
from referendums.models import CampaignStatus
from tests.assembly.factories import SessionFactory
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class World:
    initiative: Initiative
    pages: tuple[str, ...]


@pytest.fixture
def world() -> World:
    initiative = InitiativeFactory(collecting=True, title="Des arbres rue Carnot")
    campaign = CampaignFactory(status=CampaignStatus.SCHEDULED)
    session = SessionFactory(status="held")
    mandate = session.mandate
    return World(
        initiative=initiative,
        pages=(
            "/",
            "/initiatives/",
            f"/initiatives/{initiative.pk}/",
            "/referendums/",
            f"/referendums/{campaign.pk}/",
            f"/referendums/{campaign.pk}/results/",
            f"/assembly/{mandate.pk}/",
            f"/assembly/seances/{session.pk}/",
            "/tableau-de-bord/",
            "/referendums/polling-stations/?q=rue+Carnot",
            "/initiatives/obligations/",
            f"/assembly/{mandate.pk}/recommandations/",
        ),
    )


def _public(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert not response.cookies, response.cookies
    assert "Set-Cookie" not in response.headers
    cache_control = response["Cache-Control"]
    assert cache_control.startswith("public, ") and "private" not in cache_control
    assert f"s-maxage={settings.PAGE_CACHE_SECONDS}" in cache_control
    assert "stale-while-revalidate=" in cache_control
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    vary = [v.strip().lower() for v in response.get("Vary", "").split(",")]
    assert "cookie" not in vary and "accept-language" not in vary
    assert b"csrfmiddlewaretoken" not in response.content


@pytest.mark.parametrize("english", [False, True])
def test_every_public_page_is_the_same_cacheable_bytes_for_every_anonymous_visitor(
    world: World, english: bool
) -> None:
    for path in world.pages:
        url = f"/en{path}" if english else path
        first = Client().get(url)
        _public(first)
        assert f'<html lang="{"en" if english else "fr"}">' in first.content.decode(), url
        # Another visitor (another browser, another Accept-Language) gets the very same bytes.
        second = Client(HTTP_ACCEPT_LANGUAGE="de, en;q=0.5").get(url)
        _public(second)
        assert second.content == first.content and second["ETag"] == first["ETag"], url
        revalidated = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert revalidated.status_code == 304, url
        assert revalidated["ETag"] == first["ETag"] and not revalidated.content
        assert revalidated["Cache-Control"] == first["Cache-Control"]
        other = Client().get(url, HTTP_IF_NONE_MATCH='"0000", W/"1111"')
        assert other.status_code == 200


def test_the_french_and_english_pages_differ_and_so_do_their_etags(world: World) -> None:
    path = f"/initiatives/{world.initiative.pk}/"
    french, english = Client().get(path), Client().get(f"/en{path}")
    assert french["ETag"] != english["ETag"]
    assert french["Content-Language"] == "fr" and english["Content-Language"] == "en"


def test_the_anonymous_sign_button_is_a_link_to_sign_in_that_comes_back(world: World) -> None:
    path = f"/initiatives/{world.initiative.pk}/"
    html = Client().get(path).content.decode()
    assert f'href="/accounts/login/?next={path}"' in html
    assert "<form" not in html.split("<main", 1)[1]  # no form at all for an anonymous reader
    english = Client().get(f"/en{path}").content.decode()
    assert f'href="/en/accounts/login/?next=/en{path}"' in english


def test_signed_in_pages_and_requests_with_a_session_cookie_are_private(world: World) -> None:
    client = Client()
    client.force_login(ResidentFactory())
    for path in world.pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "private, no-cache", path
        assert "public" not in response["Cache-Control"]
    # A session cookie that matches no session still proves nothing: private too.
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    assert stale.get("/").get("Cache-Control") == "private, no-cache"


def test_the_etag_changes_when_a_signature_is_counted_at_the_tick_and_not_before(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    path = f"/initiatives/{world.initiative.pk}/"
    before = Client().get(path)["ETag"]
    signature_sign(initiative_id=world.initiative.pk, user=ResidentFactory())
    # Signed but not yet folded: the published count, hence the page, has not changed.
    assert Client().get(path)["ETag"] == before
    assert Client().get(path, HTTP_IF_NONE_MATCH=before).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):  # the fold forgets the cached count
        counts_fold()
    after = Client().get(path)
    assert after["ETag"] != before
    assert "1 signature au total" in after.content.decode()
    assert Client().get(path, HTTP_IF_NONE_MATCH=before).status_code == 200
    # The page shows the count the API publishes.
    assert (
        Client().get(f"/api/v1/initiatives/{world.initiative.pk}/count/").json()["signatures"] == 1
    )


def test_a_signature_shows_on_the_page_as_soon_as_the_fold_publishes_it(
    world: World, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """With every memo on as in production (the remembered page, the kept public part, the
    process's count memo), the page changes at the fold, not a memo's lifetime later: within
    one tick of the signature. Anonymous and signed-in pages alike."""
    settings.PAGE_MEMO_SECONDS = 60
    settings.PAGE_FRAGMENT_SECONDS = 60
    page_memo_forget()
    try:
        path = f"/initiatives/{world.initiative.pk}/"
        resident = Client()
        resident.force_login(ResidentFactory())
        before = Client().get(path)
        assert "1 signature au total" not in before.content.decode()
        assert "1 signature au total" not in resident.get(path).content.decode()
        assert Client().get(f"/api/v1/initiatives/{world.initiative.pk}/count/").status_code == 200
        signature_sign(initiative_id=world.initiative.pk, user=ResidentFactory())
        assert Client().get(path)["ETag"] == before["ETag"]  # not yet published
        with django_capture_on_commit_callbacks(execute=True):
            counts_fold()
        after = Client().get(path)
        assert after["ETag"] != before["ETag"]
        assert "1 signature au total" in after.content.decode()
        assert "1 signature au total" in resident.get(path).content.decode()
        assert Client().get(path, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    finally:
        page_memo_forget()


def test_the_etag_changes_when_the_initiative_is_edited(world: World) -> None:
    path = f"/initiatives/{world.initiative.pk}/"
    before = Client().get(path)["ETag"]
    Initiative.objects.filter(pk=world.initiative.pk).update(title="Des arbres, et des bancs")
    after = Client().get(path)
    assert after["ETag"] != before and "Des arbres, et des bancs" in after.content.decode()


def test_a_remembered_page_answers_304s_without_a_query(
    world: World, settings, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    settings.PAGE_MEMO_SECONDS = 60
    page_memo_forget()
    try:
        path = f"/initiatives/{world.initiative.pk}/"
        etag = Client().get(path)["ETag"]
        with django_assert_num_queries(0):
            assert Client().get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
            assert Client().get(path)["ETag"] == etag
        # A signed-in reader never gets the remembered anonymous page.
        client = Client()
        client.force_login(ResidentFactory())
        assert "Connectez-vous pour signer" not in client.get(path).content.decode()
    finally:
        page_memo_forget()


def test_a_page_with_a_message_to_show_is_private(world: World) -> None:
    client = Client()
    client.cookies["messages"] = "anything"
    assert client.get("/initiatives/")["Cache-Control"] == "private, no-cache"


def test_other_pages_are_private_and_the_api_keeps_its_own_headers(world: World) -> None:
    login = Client().get("/accounts/login/")
    assert login.status_code == 200 and "private" in login["Cache-Control"]  # allauth's own
    assert Client().get("/me/inbox/")["Cache-Control"] == "private, no-cache"  # a redirect
    count = Client().get(f"/api/v1/initiatives/{world.initiative.pk}/count/")
    assert count["Cache-Control"] == f"public, max-age={settings.CIVIC_TICK_SECONDS}"


def test_signing_in_and_out_clears_the_browsers_cache_of_anonymous_pages(world: World) -> None:
    user = ResidentFactory()
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "x-wrong-password"}
    )
    assert "Clear-Site-Data" not in response  # nothing changed
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Clear-Site-Data"] == '"cache"'


@pytest.mark.parametrize(
    "header",
    ['"', "W/", "*garbage", ",,,", '"' + "a" * 10_000 + '"', "\x7f\x00", "W/W/W/" * 1000],
)
def test_a_malformed_if_none_match_gets_the_normal_page(world: World, header: str) -> None:
    response = Client().get(f"/initiatives/{world.initiative.pk}/", HTTP_IF_NONE_MATCH=header)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")


@pytest.mark.parametrize(
    "path", ["/xx/initiatives/", "/fr/initiatives/", "/en/en/initiatives/", "/EN/initiatives/"]
)
def test_an_unknown_language_prefix_is_a_plain_404(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert "private" in response["Cache-Control"]


def test_a_huge_query_string_gets_the_normal_page_or_a_4xx(world: World) -> None:
    huge = "q=" + "a" * 20_000
    for path in ("/", "/initiatives/", f"/initiatives/{world.initiative.pk}/", "/en/referendums/"):
        response = Client().get(f"{path}?{huge}")
        assert response.status_code == 200 or 400 <= response.status_code < 500, path
        assert response.status_code != 500
    response = Client().get("/initiatives/?page=" + "9" * 20_000)
    assert response.status_code == 200


def test_the_language_switch_is_two_plain_links_to_the_same_page(world: World) -> None:
    path = f"/initiatives/{world.initiative.pk}/"
    html = Client().get(path).content.decode()
    assert f'<a href="/en{path}" hreflang="en" lang="en">English</a>' in html
    assert "set_language" not in html and 'action="/i18n/setlang/"' not in html
    english = Client().get(f"/en{path}").content.decode()
    assert f'<a href="{path}" hreflang="fr" lang="fr">français</a>' in english


def test_the_set_language_view_still_moves_to_the_other_languages_address(world: World) -> None:
    path = f"/initiatives/{world.initiative.pk}/"
    response = Client().post("/i18n/setlang/", {"language": "en", "next": path})
    assert response.status_code == 302 and response["Location"] == f"/en{path}"


def test_english_sign_in_pages_work_under_en() -> None:
    response = Client().get("/en/accounts/login/")
    assert response.status_code == 200 and '<html lang="en">' in response.content.decode()


# Queries per public page (the second request, once the process's lazy lookups are loaded): the
# anonymous reader's, then a signed-in resident's (the user: one more, the session coming from the
# cache; a few pages ask the resident's own state). Rendered whole: the tests keep no fragment (PAGE_FRAGMENT_SECONDS=0);
# the initiative's page with its public part kept is pinned below.
QUERIES = {
    "/": (4, 5),
    "/initiatives/": (6, 7),
    # The initiative: its row (with "has signed" for a resident), five prefetches (the public
    # history of its collection among them), paper rejections; a resident's user.
    "/initiatives/{initiative}/": (7, 8),
    "/referendums/": (1, 2),
    "/referendums/{campaign}/": (6, 7),
    "/referendums/{campaign}/results/": (6, 7),
    "/assembly/{mandate}/": (7, 8),
    "/assembly/seances/{session}/": (4, 5),
    "/tableau-de-bord/": (2, 3),
    # The districts of the form's list, the stations.
    "/referendums/polling-stations/?q=rue+Carnot": (2, 3),
    "/initiatives/obligations/": (1, 2),
    "/assembly/{mandate}/recommandations/": (2, 3),
}


def test_each_public_page_costs_a_pinned_number_of_queries(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    signed_in = Client()
    signed_in.force_login(ResidentFactory())
    pinned = dict(zip(world.pages, QUERIES.values(), strict=True))
    for path, (anonymous, resident) in pinned.items():
        for client, expected in ((Client(), anonymous), (signed_in, resident)):
            client.get(path)
            with django_assert_num_queries(expected):
                assert client.get(path).status_code == 200, path


def test_the_initiative_page_with_its_public_part_kept_costs_one_query_or_two(
    world: World, settings, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """As in production (PAGE_FRAGMENT_SECONDS: one tick): the public part is rendered once and
    shared by anonymous and signed-in visitors; each then costs the initiative's row (with "has
    signed" for a resident), and a resident the user with their register entry (the session is
    cached)."""
    settings.PAGE_FRAGMENT_SECONDS = 60
    path = f"/initiatives/{world.initiative.pk}/"
    Client().get(path)
    with django_assert_num_queries(1):
        anonymous = Client().get(path).content.decode()
    resident = Client()
    resident.force_login(ResidentFactory())
    resident.get("/")
    with django_assert_num_queries(2):  # the session comes from the cache (cached_db)
        signed_in = resident.get(path).content.decode()
    public = anonymous.split('<p class="meta">', 1)[1].split('<section aria-labelledby="h-sign"')[0]
    assert public in signed_in  # the same public part, byte for byte
    assert "Connectez-vous pour signer" in anonymous and "Je signe" in signed_in


def test_the_list_costs_the_same_queries_with_more_initiatives(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    InitiativeFactory.create_batch(6, collecting=True)
    Client().get("/initiatives/")
    with django_assert_num_queries(QUERIES["/initiatives/"][0]):
        Client().get("/initiatives/")


def test_the_unprefixed_addresses_are_exactly_those_outside_the_language_prefix() -> None:
    """civic.languages.UNPREFIXED (read by the locale and cache middleware) and config/urls.py
    agree: every route outside i18n_patterns is listed, and nothing else (but the static files)."""
    outside = {
        "/" + str(pattern.pattern)
        for pattern in urls.urlpatterns
        if not (
            isinstance(pattern, URLResolver) and isinstance(pattern.pattern, LocalePrefixPattern)
        )
    }
    assert all(route.startswith(UNPREFIXED) for route in outside), outside
    listed = set(UNPREFIXED) - {"/" + settings.STATIC_URL.strip("/") + "/"}
    assert all(any(route.startswith(prefix) for route in outside) for prefix in listed)
