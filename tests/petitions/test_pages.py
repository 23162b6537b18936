"""Pages: everything essential works with plain forms (no JavaScript); authorisation holds."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from petitions import services
from petitions.models import Initiative, Obligation, PaperRejection, Signature, Status, TrackRung
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _one_h1(html: str) -> bool:
    return len(re.findall(r"<h1[\s>]", html)) == 1


def test_the_list_shows_published_initiatives_with_filters_and_hides_drafts(now):
    shown = InitiativeFactory(collecting=True, title="Arbres en ville")
    hidden = InitiativeFactory(title="Brouillon secret")
    html = browser().get("/initiatives/").content.decode()
    assert shown.title in html and hidden.title not in html and _one_h1(html)
    assert "Arbres en ville" not in browser().get("/initiatives/?q=piscine").content.decode()
    assert (
        "Arbres en ville"
        in browser().get("/initiatives/?q=arbres&status=collecting").content.decode()
    )
    assert browser().get("/initiatives/?status=nonsense").status_code == 200


def test_the_detail_shows_progress_per_track_rungs_and_time_left(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    html = browser().get(f"/initiatives/{initiative.pk}/").content.decode()
    assert html.count("<progress") == 2
    assert "30 jours restants" in html
    assert "Connectez-vous pour signer" in html
    assert _one_h1(html) and "style=" not in html and "<script" not in html


def test_a_resident_signs_and_withdraws_with_plain_forms(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    client = browser(resident)
    page = client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert f'action="/initiatives/{initiative.pk}/sign/"' in page
    response = client.post(f"/initiatives/{initiative.pk}/sign/", follow=True)
    assert "Votre signature est enregistrée" in response.content.decode()
    assert Signature.objects.count() == 1
    assert "Retirer ma signature" in client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert initiative.title in client.get("/initiatives/my-signatures/").content.decode()
    client.post(f"/initiatives/{initiative.pk}/unsign/")
    assert Signature.objects.count() == 0


def test_an_ineligible_resident_sees_why_and_nothing_is_recorded(now):
    initiative = InitiativeFactory(collecting=True, instruments=[LEGAL])
    resident = ResidentFactory(register_entry=RegisterEntryFactory(resident_only=True))
    html = (
        browser(resident).post(f"/initiatives/{initiative.pk}/sign/", follow=True).content.decode()
    )
    assert "aucun volet" in html and "CGCT" in html
    assert Signature.objects.count() == 0


def test_signing_with_get_or_anonymously_is_refused(now):
    initiative = InitiativeFactory(collecting=True)
    assert browser(ResidentFactory()).get(f"/initiatives/{initiative.pk}/sign/").status_code == 405
    assert (
        browser().post(f"/initiatives/{initiative.pk}/sign/").status_code == 302
    )  # to the login page
    assert Signature.objects.count() == 0


def test_a_resident_creates_edits_invites_and_submits_a_draft(now):
    initiator, promoter = ResidentFactory(), ResidentFactory()
    client = browser(initiator)
    response = client.post(
        "/initiatives/new/",
        {"title": "Une fontaine", "summary": "De l'eau.", "body": "Texte.", "instruments": [LEGAL]},
    )
    initiative = Initiative.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/initiatives/{initiative.pk}/"
    client.post(
        f"/initiatives/{initiative.pk}/edit/",
        {"title": "Deux fontaines", "summary": "s", "body": "b", "instruments": [LEGAL]},
    )
    assert Initiative.objects.get().title == "Deux fontaines"
    client.post(f"/initiatives/{initiative.pk}/invite/", {"email": promoter.email})
    cosign = browser(promoter).get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Je cosigne" in cosign
    browser(promoter).post(f"/initiatives/{initiative.pk}/cosign/")
    client.post(f"/initiatives/{initiative.pk}/submit/")
    assert Initiative.objects.get().status == Status.SUBMITTED
    assert "Deux fontaines" in client.get("/initiatives/mine/").content.decode()


def test_someone_else_cannot_see_or_edit_a_draft(now):
    draft = InitiativeFactory()
    other = browser(ResidentFactory())
    assert other.get(f"/initiatives/{draft.pk}/").status_code == 404
    assert other.get(f"/initiatives/{draft.pk}/edit/").status_code == 404
    other.post(f"/initiatives/{draft.pk}/submit/")
    assert Initiative.objects.get().status == Status.DRAFT


def test_moderators_review_publish_and_reject_from_the_pages(now, moderator):
    a = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now(), instruments=[LEGAL])
    b = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    staff = browser(moderator)
    assert a.title in staff.get("/initiatives/staff/").content.decode()
    staff.post(f"/initiatives/{a.pk}/review/")
    staff.post(f"/initiatives/{a.pk}/publish/")
    staff.post(f"/initiatives/{b.pk}/reject/", {"reason": "doublon", "text": "Déjà en cours."})
    assert Initiative.objects.get(pk=a.pk).status == Status.COLLECTING
    assert Initiative.objects.get(pk=b.pk).status == Status.REJECTED


def test_residents_cannot_reach_the_staff_pages(now):
    initiative = InitiativeFactory(collecting=True)
    client = browser(ResidentFactory())
    assert client.get("/initiatives/staff/").status_code == 403
    assert client.get(f"/initiatives/{initiative.pk}/paper/").status_code == 403
    assert (
        browser(StaffFactory(role="campaign_manager")).get("/initiatives/staff/").status_code == 403
    )


def test_staff_enter_paper_signatures_from_the_page(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    entry = RegisterEntryFactory()
    staff = browser(moderator)
    staff.post(
        f"/initiatives/{initiative.pk}/paper/", {"register_ref": entry.ref, "sheet_ref": "F1-L1"}
    )
    html = staff.post(
        f"/initiatives/{initiative.pk}/paper/", {"register_ref": entry.ref}, follow=True
    ).content.decode()
    assert "A déjà signé" in html
    assert Signature.objects.get().channel == "paper"
    assert PaperRejection.objects.get().reason == "duplicate"
    assert (
        "A déjà signé (en ligne ou sur papier) : 1"
        in browser().get(f"/initiatives/{initiative.pk}/").content.decode()
    )


def test_the_obligations_page_flags_overdue_ones_and_staff_mark_them_done(freeze, moderator):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.counts_tick()
    obligation = Obligation.objects.get()
    freeze(obligation.due_at + timezone.timedelta(days=1))
    html = browser().get("/initiatives/obligations/?overdue=on").content.decode()
    assert "En retard" in html and initiative.title in html
    assert "En retard" in browser().get(f"/initiatives/{initiative.pk}/").content.decode()
    browser(ResidentFactory()).post(
        f"/initiatives/obligations/{obligation.pk}/done/", {"evidence": "x"}
    )
    assert Obligation.objects.get().status == "open"
    browser(moderator).post(
        f"/initiatives/obligations/{obligation.pk}/done/", {"evidence": "Réunion tenue."}
    )
    assert Obligation.objects.get().status == "done"


def test_the_home_section_lists_open_initiatives(now):
    initiative = InitiativeFactory(collecting=True, title="Jardins partagés")
    assert initiative.title in browser().get("/").content.decode()


def test_the_sign_form_is_rate_limited_like_the_api(now, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "sign": "2/min"}
    )
    from django.core.cache import cache

    cache.clear()
    initiative = InitiativeFactory(collecting=True)
    client = browser(ResidentFactory())
    for _ in range(2):
        client.post(f"/initiatives/{initiative.pk}/sign/")
    html = client.post(f"/initiatives/{initiative.pk}/sign/", follow=True).content.decode()
    assert "Trop de tentatives" in html
    assert Signature.objects.count() == 1


# --- The action area: who may sign is said before the form ----------------------------------------


def _sign_form(initiative: Initiative) -> str:
    return f'action="/initiatives/{initiative.pk}/sign/"'


def test_an_eligible_resident_reads_why_they_may_sign_before_the_form(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    resident = ResidentFactory(register_entry=RegisterEntryFactory(minor16=True))
    page = browser(resident).get(f"/initiatives/{initiative.pk}/").content.decode()
    # The charter track takes a 17-year-old (its predicate's own label and rule), the legal
    # track does not (its reason code worded): said before the form.
    said = page.index("Vous pouvez signer :")
    assert "Résidents de 16 ans ou plus" in page[said : said + 300]
    assert "Charte de la participation, art. 2" in page[said : said + 300]
    assert "vous n'avez pas encore l'âge requis" not in page  # the legal track: not on the roll
    assert "vous n'êtes pas inscrit·e sur la liste électorale demandée." in page
    assert said < page.index(_sign_form(initiative))


def test_an_ineligible_resident_gets_the_reason_and_no_sign_form(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER])
    child = ResidentFactory(register_entry=RegisterEntryFactory(child=True))
    page = browser(child).get(f"/initiatives/{initiative.pk}/").content.decode()
    assert _sign_form(initiative) not in page
    assert "Vous ne pouvez pas signer cette initiative." in page
    assert "vous n'avez pas encore l'âge requis." in page
    assert "Résidents de 16 ans ou plus" in page  # who may sign


@pytest.mark.parametrize(
    ("who", "says"),
    [
        ("unverified", "Vérifiez votre résidence"),
        ("staff", "Un compte d'agent ne signe pas"),
        ("anonymous", "Connectez-vous pour signer."),
    ],
)
def test_no_sign_form_for_an_account_that_cannot_sign(now, who, says):
    from tests.factories import UserFactory

    initiative = InitiativeFactory(collecting=True)
    user = {
        "unverified": UserFactory,
        "staff": lambda: StaffFactory(role="moderator"),
        "anonymous": lambda: None,
    }[who]()
    page = browser(user).get(f"/initiatives/{initiative.pk}/").content.decode()
    assert _sign_form(initiative) not in page
    assert says in page and "Qui peut signer :" in page
    if who == "anonymous":
        assert f"/accounts/login/?next=/initiatives/{initiative.pk}/" in page
    if who == "unverified":
        assert 'href="/me/verify/"' in page


def test_the_page_names_the_people_carrying_the_initiative_never_their_address(now):
    initiative = InitiativeFactory(collecting=True, initiator__display_name="Camille Roux")
    named = ResidentFactory(display_name="Inès Diallo")
    unnamed = ResidentFactory(display_name="")
    for person in (named, unnamed):
        initiative.promoters.create(
            user=person, invited_at=timezone.now(), cosigned_at=timezone.now()
        )
    page = browser().get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Portée par : Camille Roux, Inès Diallo, un·e habitant·e" in page
    assert unnamed.email not in page and initiative.initiator.email not in page


def test_the_detail_page_of_a_resident_runs_a_fixed_number_of_queries(
    now, settings, django_assert_num_queries
):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    client = browser(ResidentFactory())
    client.get(f"/initiatives/{initiative.pk}/")  # sessions, caches warmed
    # Rendered whole: the initiative, its five prefetches (the public history of its collection
    # among them; the documents of the city's answers only once an obligation exists) and paper
    # rejections (the public part), and the user with their register entry (the session is read
    # from the cache: config/env.py, cached_db); "has signed" comes with the initiative's row.
    with django_assert_num_queries(8):
        client.get(f"/initiatives/{initiative.pk}/")
    # With the public part and the resident's page kept (petitions/views/detail.py): the
    # initiative's row with "has signed", and the user with the register entry; nothing more for
    # another resident.
    settings.PAGE_FRAGMENT_SECONDS = 60
    client.get(f"/initiatives/{initiative.pk}/")
    with django_assert_num_queries(2):
        page = client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Je signe" in page
    other = browser(ResidentFactory())
    other.get("/")
    with django_assert_num_queries(2):
        assert "Je signe" in other.get(f"/initiatives/{initiative.pk}/").content.decode()
