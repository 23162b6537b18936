"""Journeys of the three instruments in a real browser: the real pages and forms drive the action
under test (services only seed the scene and play the clock's jobs), and every journey checks what
the person sees and what the database holds.

Signing and voting run three ways: with the mouse (JavaScript on), without JavaScript, and with the
keyboard only (Tab, Space, Enter; the focus visible at every stop, test_keyboard.tab_to).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from assembly.models import DrawCommitment, FeatureKind, Mandate, MandateStatus, Member, Reserve
from assembly.services import composition, recruitment
from civic.models import User
from petitions import services as petitions
from petitions.models import Channel, PaperRejection, PaperRejectionReason, Signature, Status
from referendums.models import (
    Ballot,
    Campaign,
    Participation,
    ReceiptHash,
    StationResult,
    StationStatus,
)
from referendums.services.campaigns import voting_close_due
from tests.assembly.drand_relay import drand_relays
from tests.assembly.factories import MandateFactory
from tests.e2e.test_keyboard import assert_focus_visible, tab_to
from tests.factories import DistrictFactory, RegisterEntryFactory, StaffFactory

# How a journey is driven: the mouse with JavaScript on, the mouse without it, the keyboard only.
WAYS = ("mouse", "no-javascript", "keyboard")


def _announced(page) -> str:  # type: ignore[no-untyped-def]
    """The messages the page announces (the base layout's role=status region)."""
    return page.locator(".messages[role=status]").inner_text()


def _press_and_wait(page, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    """A key that submits a form or follows a link: wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _activate(page, way: str, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Follow a link or press a button: a click, or Tab until it has the focus then Enter."""
    if way == "keyboard":
        tab_to(page, selector)
        _press_and_wait(page)
    else:
        with page.expect_navigation():
            page.locator(selector).click()


def _total(page) -> int:  # type: ignore[no-untyped-def]
    """The published total an initiative's page shows ("1 signature au total.")."""
    progress = page.locator("section[aria-labelledby=h-progress]")
    text = progress.get_by_text(re.compile(r"signatures? au total")).inner_text()
    match = re.match(r"(\d+) signatures? au total", text)
    assert match, text
    return int(match.group(1))


# --- Petitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS)
def test_a_verified_resident_signs_an_initiative_then_withdraws_the_signature(
    new_context, world, way
):
    initiative = world.instruments.initiative
    resident = world.user("resident")
    mine = Signature.objects.filter(initiative=initiative, register_entry=resident.register_entry)
    page = new_context(user=resident, javascript=way != "no-javascript").new_page()

    # From the home page's "open now" list to the initiative.
    page.goto("/")
    _activate(page, way, f"main a[href='/initiatives/{initiative.pk}/']")
    assert page.locator("h1").inner_text() == initiative.title
    assert _total(page) == 0

    _activate(page, way, f"form[action='/initiatives/{initiative.pk}/sign/'] [type=submit]")
    assert "Votre signature est enregistrée" in _announced(page)
    assert "Vous avez signé cette initiative." in page.locator("main").inner_text()
    assert mine.count() == 1 and mine.get().channel == Channel.ONLINE
    # The count is published by the per-minute job, not by the request.
    assert _total(page) == 0
    petitions.counts_tick()
    page.reload()
    assert _total(page) == 1

    # "My signatures" lists it, with its own withdraw button.
    page.goto("/initiatives/my-signatures/")
    assert page.get_by_role("row", name=re.compile(re.escape(initiative.title))).count() == 1

    page.goto(f"/initiatives/{initiative.pk}/")
    _activate(page, way, f"form[action='/initiatives/{initiative.pk}/unsign/'] [type=submit]")
    assert "Votre signature est retirée." in _announced(page)
    assert mine.count() == 0
    assert page.get_by_role("button", name="Je signe").count() == 1
    petitions.counts_tick()
    page.reload()
    assert _total(page) == 0


def test_an_unverified_account_is_sent_to_verification_instead_of_a_sign_button(new_context, world):
    initiative = world.instruments.initiative
    page = new_context(user=world.user("unverified")).new_page()
    page.goto(f"/initiatives/{initiative.pk}/")
    assert page.get_by_role("button", name="Je signe").count() == 0
    page.get_by_role("link", name="Vérifiez votre résidence").click()
    page.wait_for_url(re.compile(r"/me/verify/$"))
    assert not Signature.objects.filter(initiative=initiative).exists()


def test_a_visitor_is_asked_to_log_in_and_a_forged_sign_post_records_nothing(page, world):
    initiative = world.instruments.initiative
    page.goto(f"/initiatives/{initiative.pk}/")
    assert page.get_by_role("button", name="Je signe").count() == 0
    page.get_by_role("link", name="Connectez-vous pour signer.").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    response = page.request.post(f"/initiatives/{initiative.pk}/sign/")
    assert response.status == 403  # no CSRF token, no session: refused before any write
    assert not Signature.objects.filter(initiative=initiative).exists()


def test_a_moderator_publishes_an_initiative_and_enters_a_paper_signature(new_context, world):
    initiative = world.instruments.submitted_initiative
    signer = RegisterEntryFactory(
        ref="PAP-0001", last_name="Durand", first_names="Louise", birth_date=date(1975, 6, 14)
    )
    page = new_context(user=world.user("moderator")).new_page()

    page.goto("/initiatives/staff/")
    row = page.get_by_role("row", name=re.compile(re.escape(initiative.title)))
    row.get_by_role("button", name=re.compile("Commencer l'examen")).click()
    page.wait_for_load_state()
    assert "Examen commencé." in _announced(page)
    page.goto("/initiatives/staff/")
    row.get_by_role("button", name=re.compile("Ouvrir la collecte")).click()
    page.wait_for_load_state()
    assert "Collecte ouverte." in _announced(page)
    initiative.refresh_from_db()
    assert initiative.status == Status.COLLECTING and initiative.closes_at is not None
    assert page.get_by_role("button", name="Je signe").count() == 0  # staff have no register entry

    page.get_by_role("link", name="Saisir des signatures papier").click()
    page.wait_for_url(re.compile(rf"/initiatives/{initiative.pk}/paper/$"))
    page.get_by_label("Référence au registre (si connue)").fill(signer.ref)
    page.get_by_label("Feuille et ligne").fill("F1-L1")
    page.get_by_role("button", name="Enregistrer la ligne").click()
    page.wait_for_load_state()
    assert "Signature papier enregistrée." in _announced(page)
    paper = Signature.objects.filter(initiative=initiative, register_entry=signer)
    assert paper.count() == 1 and paper.get().channel == Channel.PAPER

    # The same person on another line, found by name and birth date this time: refused, said so.
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.get_by_label("Prénoms").fill("Louise")
    page.get_by_label("Date de naissance").fill("1975-06-14")
    page.get_by_label("Feuille et ligne").fill("F3-L7")
    page.get_by_role("button", name="Enregistrer la ligne").click()
    page.wait_for_load_state()
    assert "Signature rejetée : A déjà signé (en ligne ou sur papier)." in _announced(page)
    assert paper.count() == 1
    rejection = PaperRejection.objects.get(initiative=initiative)
    assert rejection.reason == PaperRejectionReason.DUPLICATE and rejection.sheet_ref == "F3-L7"
    assert "A déjà signé (en ligne ou sur papier) : 1" in page.locator("main").inner_text()

    # A line with neither a reference nor a full identity is shown back with the reason.
    page.get_by_label("Feuille et ligne").fill("F3-L8")
    page.get_by_role("button", name="Enregistrer la ligne").click()
    page.wait_for_load_state()
    assert "Indiquez la référence au registre" in page.get_by_role("alert").inner_text()
    assert Signature.objects.filter(initiative=initiative).count() == 1


def test_a_resident_cannot_open_the_moderation_queue_or_the_paper_entry(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    for path in ("/initiatives/staff/", f"/initiatives/{world.instruments.initiative.pk}/paper/"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
    assert page.get_by_role("button", name="Enregistrer la ligne").count() == 0


# --- Referendums ---------------------------------------------------------------------------


def _tally(campaign: Campaign) -> dict[str, int]:
    campaign.refresh_from_db()
    assert campaign.results is not None
    return {o["key"]: o["count"] for o in campaign.results["questions"][0]["options"]}


def _close_now(campaign: Campaign) -> None:
    """The clock job at the closing instant (its time guard is the deadline, moved to now)."""
    Campaign.objects.filter(pk=campaign.pk).update(
        voting_closes_at=timezone.now() - timedelta(seconds=1)
    )
    assert voting_close_due(campaign_id=campaign.pk)


# The options' fixed keys (docs/threat-model.md, ballot secrecy), by meaning.
OPTION_KEY = {"yes": "o1", "no": "o2"}


def _vote(page, way: str, campaign: Campaign, choice: str) -> str:  # type: ignore[no-untyped-def]
    """From the campaign page: choose, confirm, and return the receipt shown."""
    page.goto(f"/referendums/{campaign.pk}/")
    _activate(page, way, f"main a[href='/referendums/{campaign.pk}/vote/']")
    if way == "keyboard":
        # Tab stops once on a radio group; the arrows move within it and check what they reach.
        tab_to(page, "main input[type=radio]")
        page.keyboard.press("Space")
        for _ in range(3):
            if page.evaluate("document.activeElement.value") == OPTION_KEY[choice]:
                break
            page.keyboard.press("ArrowDown")
        assert_focus_visible(page)
        assert page.locator(f"main input[type=radio][value={OPTION_KEY[choice]}]").is_checked()
    else:
        page.get_by_label({"yes": "Oui", "no": "Non"}[choice], exact=True).check()
    _activate(page, way, "main form [type=submit]")
    assert page.locator("h1").inner_text() == "Confirmer mon vote"
    assert page.locator("main dd").inner_text() == {"yes": "Oui", "no": "Non"}[choice]
    _activate(page, way, "main form:has(input[name=step][value=cast]) [type=submit]")
    # Post/redirect/get: the receipt is a page of its own, which a reload shows again, casting
    # nothing more.
    assert page.url.endswith(f"/referendums/{campaign.pk}/vote/receipt/")
    assert page.locator("h1").inner_text() == "Votre vote est enregistré"
    receipt = page.locator("main .receipt").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}", receipt), receipt
    receipts = ReceiptHash.objects.filter(campaign=campaign).count()
    page.reload()
    assert page.locator("main .receipt").inner_text().strip() == receipt
    assert ReceiptHash.objects.filter(campaign=campaign).count() == receipts
    return receipt


def _check_receipt(page, way: str, campaign: Campaign, receipt: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/referendums/{campaign.pk}/receipt/")
    if way == "keyboard":
        tab_to(page, "input[name=receipt]")
        page.keyboard.type(receipt)
        _press_and_wait(page)
    else:
        page.get_by_label("Code de récépissé").fill(receipt)
        page.get_by_role("button", name="Vérifier", exact=True).click()
        page.wait_for_load_state()
    return page.locator("main").inner_text()


@pytest.mark.long
@pytest.mark.parametrize("way", WAYS)
def test_a_voter_votes_re_votes_and_checks_the_receipt(new_context, world, way):
    campaign = world.instruments.open_vote
    voter = world.user("resident")
    page = new_context(user=voter, javascript=way != "no-javascript").new_page()

    first = _vote(page, way, campaign, "yes")
    participation = Participation.objects.filter(
        campaign=campaign, register_entry=voter.register_entry
    )
    assert participation.count() == 1 and Ballot.objects.filter(campaign=campaign).count() == 1

    # Voting again: the page says the earlier vote exists, the receipt page that it was replaced.
    page.goto(f"/referendums/{campaign.pk}/")
    assert page.get_by_role("link", name="Modifier mon vote").count() == 1
    second = _vote(page, way, campaign, "no")
    assert "Votre vote précédent a été remplacé par celui-ci." in page.locator("main").inner_text()
    assert second != first
    assert participation.count() == 1
    assert Ballot.objects.filter(campaign=campaign).count() == 1
    # The replaced receipt is kept (superseded): it proves nothing about the re-vote.
    assert ReceiptHash.objects.filter(campaign=campaign).count() == 2

    # Right after the cast a receipt says "received", never whether it still counts.
    assert "Votre bulletin a bien été reçu." in _check_receipt(page, way, campaign, second)
    assert "Votre bulletin a bien été reçu." in _check_receipt(page, way, campaign, first)

    _close_now(campaign)
    assert _tally(campaign) == {"o1": 0, "o2": 1}  # the last vote counts
    shown = _check_receipt(page, way, campaign, second)
    assert "Un récépissé se vérifie seulement" in shown


def test_a_voter_outside_the_frozen_electorate_is_told_why_before_any_form(new_context, world):
    from tests.factories import ResidentFactory

    campaign = world.instruments.open_vote
    latecomer = ResidentFactory(email="latecomer@example.org")  # registered after the freeze
    page = new_context(user=latecomer).new_page()
    page.goto(f"/referendums/{campaign.pk}/vote/")
    assert page.locator("main input[type=radio]").count() == 0
    assert "Vous ne faites pas partie du corps électoral" in page.locator("main").inner_text()
    assert not Participation.objects.filter(register_entry=latecomer.register_entry).exists()
    assert Ballot.objects.filter(campaign=campaign).count() == 0


@pytest.mark.parametrize("who", ["unverified", "staff", "closed"])
def test_no_vote_form_for_an_unverified_account_staff_or_a_closed_vote(new_context, world, who):
    """Neither the campaign page nor the vote page offers a form to someone who cannot vote; the
    reason and the next step are said instead (JavaScript off: nothing hides a form)."""
    campaign = world.instruments.open_vote
    user = {
        "unverified": world.user("unverified"),
        "staff": world.user("campaign_manager"),
        "closed": world.user("resident"),
    }[who]
    if who == "closed":
        _close_now(campaign)
    page = new_context(user=user, javascript=False).new_page()
    for path in (f"/referendums/{campaign.pk}/", f"/referendums/{campaign.pk}/vote/"):
        page.goto(path)
        assert page.locator("main input[type=radio]").count() == 0, path
        assert page.locator(f"main a[href='/referendums/{campaign.pk}/vote/']").count() == 0, path
        said = page.locator("section[aria-labelledby=h-action]").inner_text()
        assert {
            "unverified": "Vérifiez votre résidence",
            "staff": "Un compte d'agent ne vote pas",
            "closed": "Le vote est clos",
        }[who] in said, path


def test_a_vote_without_a_choice_is_shown_back_and_a_visitor_must_log_in(new_context, world):
    campaign = world.instruments.open_vote
    page = new_context(user=world.user("resident")).new_page()
    page.goto(f"/referendums/{campaign.pk}/vote/")
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Voter")
    assert page.locator("main .error").count() == 1
    assert not Participation.objects.filter(campaign=campaign).exists()

    visitor = new_context().new_page()
    visitor.goto(f"/referendums/{campaign.pk}/vote/")
    assert "/accounts/login/" in visitor.url


@pytest.mark.long
def test_a_campaign_manager_records_a_polling_station_sheet_twice(new_context, world):
    campaign = world.instruments.paper_referendum
    first_station, second_station = world.instruments.stations
    second_manager = StaffFactory(email="second-manager@example.org", role="campaign_manager")
    figures = {
        "Inscrits": "1000",
        "Votants": "600",
        "Bulletins blancs": "10",
        "Bulletins nuls": "5",
        "Oui": "300",
        "Non": "285",
    }

    def key(page, station, **changed: str) -> str:  # type: ignore[no-untyped-def]
        form = page.locator("section[aria-labelledby=h-enter]")
        form.get_by_label("Bureau de vote").select_option(station.code)
        for label, value in {**figures, **changed}.items():
            form.get_by_label(re.compile(rf"^{label}\b")).fill(value)
        form.get_by_role("button", name="Enregistrer la saisie").click()
        page.wait_for_load_state()
        return page.locator("main").inner_text()

    def state_of(page, station) -> str:  # type: ignore[no-untyped-def]
        return page.get_by_role("row", name=re.compile(re.escape(station.name))).inner_text()

    first = new_context(user=world.user("campaign_manager")).new_page()
    first.goto(f"/referendums/{campaign.pk}/")
    first.get_by_role("link", name="Procès-verbaux des bureaux (agents)").click()
    first.wait_for_url(re.compile(rf"/referendums/{campaign.pk}/sheets/$"))
    assert "Saisie enregistrée." in key(first, first_station)
    assert "En attente de la seconde saisie" in state_of(first, first_station)

    # The same person may not key the second entry.
    shown = key(first, first_station)
    assert "La seconde saisie doit être faite par une autre personne." in shown
    result = StationResult.objects.get(campaign=campaign, station=first_station)
    assert result.status == StationStatus.PENDING

    second = new_context(user=second_manager).new_page()
    second.goto(f"/referendums/{campaign.pk}/sheets/")
    assert "Saisie enregistrée." in key(second, first_station)
    assert "Saisies concordantes" in state_of(second, first_station)
    result.refresh_from_db()
    assert result.status == StationStatus.AGREED and (result.yes, result.no) == (300, 285)

    # At the other station the second keying differs: a discrepancy to resolve, nothing counts.
    assert "Saisie enregistrée." in key(first, second_station)
    assert "Saisie enregistrée." in key(second, second_station, Oui="310", Non="275")
    assert "Écart entre les saisies" in state_of(second, second_station)
    other = StationResult.objects.get(campaign=campaign, station=second_station)
    assert other.status == StationStatus.DISCREPANCY and other.yes is None

    # Figures that do not add up are refused with the rule, and nothing is written.
    third = StaffFactory(email="third-manager@example.org", role="campaign_manager")
    page = new_context(user=third).new_page()
    page.goto(f"/referendums/{campaign.pk}/sheets/")
    shown = key(page, second_station, Non="1")
    assert "Blancs + nuls + oui + non doit égaler le nombre de votants." in shown
    assert StationResult.objects.get(pk=other.pk).status == StationStatus.DISCREPANCY


def test_a_resident_cannot_open_the_result_sheets(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    response = page.goto(f"/referendums/{world.instruments.paper_referendum.pk}/sheets/")
    assert response is not None and response.status == 403
    assert page.get_by_role("button", name="Enregistrer la saisie").count() == 0


# --- Assembly ------------------------------------------------------------------------------


def _recruiting_mandate_with_volunteers(clerk: User) -> Mandate:
    """A mandate of 4 seats (2 per district) in recruitment, 8 volunteers signed up through the
    real service from their invitations."""
    nord = DistrictFactory(code="nord", name="Nord")
    sud = DistrictFactory(code="sud", name="Sud")
    mandate = MandateFactory(title="Assemblée du climat", size=4, reserve_size=2)
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="quartier",
        label="Quartier",
        kind=FeatureKind.DISTRICT,
        quotas=[("nord", "Nord", 2, 2), ("sud", "Sud", 2, 2)],
    )
    composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=clerk)
    batch = recruitment.InvitationBatch.objects.create(  # the invitations are placed by hand
        mandate=mandate, seed="e2e", requested=8, population=8
    )
    for district in (nord, sud) * 4:
        invitation = recruitment.Invitation.objects.create(
            mandate=mandate, batch=batch, register_entry=RegisterEntryFactory(district=district)
        )
        recruitment.volunteer_signup(
            token=recruitment.invitation_token(invitation), declared={}, consent=True
        )
    return mandate


@pytest.mark.long
def test_an_assembly_clerk_runs_the_draw(new_context, world, settings):
    clerk = world.user("assembly_clerk")
    mandate = _recruiting_mandate_with_volunteers(clerk)
    page = new_context(user=clerk).new_page()
    desk = f"/assembly/greffe/{mandate.pk}/"
    page.goto(desk)
    assert "8 volontaires dans le vivier" in page.locator("main").inner_text()

    # Nobody types the seed: the clerk only says from when the draw may run.
    assert page.get_by_label(re.compile("aléa", re.IGNORECASE)).count() == 0
    start = timezone.localtime()
    page.get_by_label(re.compile("Tirage au sort à partir du")).fill(
        (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Publier l'engagement").click()
    page.wait_for_load_state()
    # A worker computes the lottery (eagerly in the test profile); the clerk refreshes to see it.
    assert "Calcul de l'engagement lancé." in _announced(page)
    page.reload()
    commitment = DrawCommitment.objects.get(mandate=mandate)
    assert Mandate.objects.get(pk=mandate.pk).status == MandateStatus.COMMITTED
    assert commitment.seed in (None, "")
    assert commitment.digest in page.locator("main").inner_text()
    assert f"round {commitment.beacon_round}" in page.locator("main").inner_text()

    draw_button = page.get_by_role("button", name="Lire l'aléa public et tirer au sort")
    with drand_relays() as relays:  # the League of Entropy's relays, recorded locally
        settings.ASSEMBLY_DRAND_RELAYS = relays.urls("relay-a", "relay-b")
        # Too early: the named round is not produced yet, the draw waits and says until when.
        draw_button.click()
        page.wait_for_load_state()
        assert "le tirage attend le" in _announced(page)
        assert not Member.objects.filter(mandate=mandate).exists()

        with time_machine.travel(start + timedelta(days=2), tick=True):
            draw_button.click()
            page.wait_for_load_state()
            assert "Enregistré." in _announced(page)
            mandate.refresh_from_db()
            assert mandate.status == MandateStatus.SEATED
            commitment.refresh_from_db()
            seed = commitment.seed
            assert seed == relays.round("relay-a", commitment.beacon_round)["randomness"]
            members = list(Member.objects.filter(mandate=mandate).order_by("seat"))
            assert len(members) == 4 and Reserve.objects.filter(mandate=mandate).count() == 2
            assert sorted(m.district_name for m in members) == ["Nord", "Nord", "Sud", "Sud"]

            # The public page: the drawn members, the commitment and the seed anyone can replay.
            page.get_by_role("link", name="page publique").click()
            page.wait_for_url(re.compile(rf"/assembly/{mandate.pk}/$"))
            shown = page.locator("main").inner_text()
            for member in members:
                assert f"{member.first_name} — {member.district_name}" in shown
            assert commitment.digest in shown and seed in shown
            assert "manage.py" not in shown
            link = page.get_by_role("link", name=re.compile("données publiques du tirage"))
            assert link.count() == 1

    anonymous = new_context().new_page()
    anonymous.goto("/assembly/")
    anonymous.wait_for_url(re.compile(rf"/assembly/{mandate.pk}/$"))
    assert seed in anonymous.locator("main").inner_text()


def test_a_resident_cannot_open_the_clerk_desk(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    response = page.goto(f"/assembly/greffe/{world.instruments.mandate.pk}/")
    assert response is not None and response.status == 403
    assert not DrawCommitment.objects.exists()
