"""Pages: public pages without personal data, the no-JS sign-up, the clerk's desk."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import (
    Attendance,
    Invitation,
    InvitationStatus,
    MotionStatus,
    SessionStatus,
    Volunteer,
)
from assembly.services import composition, pool, recruitment
from tests.assembly.conftest import BALANCED_POOL, publish_and_draw
from tests.assembly.factories import SessionFactory
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _page_checks(html: str) -> None:
    assert html.count("<h1") == 1
    assert 'style="' not in html
    assert "<script>" not in html


def test_the_assembly_page_shows_members_by_first_name_and_district_and_composition(
    client, recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    response = client.get("/assembly/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    _page_checks(html)
    for member in mandate.members.select_related("volunteer__register_entry"):
        assert member.first_name in html
        assert member.volunteer.register_entry.last_name not in html
        assert member.volunteer.register_entry.address not in html
    assert "Composition et quotas" in html
    assert mandate.commitment.digest in html


def test_a_published_session_page_shows_its_agenda_and_a_planned_one_is_hidden(
    client, seated
) -> None:
    mandate, _members = seated()
    published = SessionFactory(mandate=mandate, status=SessionStatus.PUBLISHED)
    planned = SessionFactory(mandate=mandate)
    assert client.get(f"/assembly/seances/{published.pk}/").status_code == 200
    _page_checks(client.get(f"/assembly/seances/{published.pk}/").content.decode())
    assert client.get(f"/assembly/seances/{planned.pk}/").status_code == 404


def _invitation(recruiting):  # type: ignore[no-untyped-def]
    mandate = recruiting([])
    invitation = Invitation.objects.create(
        mandate=mandate,
        batch=mandate.batches.get_or_create(seed="t", requested=1, population=1)[0],
        register_entry=RegisterEntryFactory(district__code="sud", first_names="Aïcha Marie"),
    )
    return mandate, recruitment.invitation_token(invitation)


def test_a_volunteer_signs_up_from_the_invitation_without_javascript(recruiting) -> None:
    _mandate, token = _invitation(recruiting)
    client = Client(enforce_csrf_checks=False)
    page = client.get(f"/assembly/volontaire/{token}/").content.decode()
    _page_checks(page)
    assert "Aïcha" in page and "<fieldset" in page and "<legend>" in page
    done = client.post(
        f"/assembly/volontaire/{token}/", {"feature_genre": "f", "consent": "on", "email": ""}
    )
    volunteer = Volunteer.objects.get()
    assert volunteer.pseudonym in done.content.decode()
    assert volunteer.features == {"genre": "f", "quartier": "sud"}


def test_signing_up_without_consent_shows_the_error_and_records_nothing(client, recruiting) -> None:
    _mandate, token = _invitation(recruiting)
    response = client.post(f"/assembly/volontaire/{token}/", {"feature_genre": "f"})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Volunteer.objects.exists()


def test_a_forged_invitation_link_is_a_404(client, recruiting) -> None:
    _mandate, token = _invitation(recruiting)
    assert client.get(f"/assembly/volontaire/{token[:-1]}0/").status_code in (404,)
    assert client.get("/assembly/volontaire/nonsense/").status_code == 404


def test_declining_an_invitation_is_recorded(client, recruiting) -> None:
    _mandate, token = _invitation(recruiting)
    client.post(f"/assembly/volontaire/{token}/", {"decline": "1"})
    assert Invitation.objects.get().status == InvitationStatus.DECLINED
    assert not Volunteer.objects.exists()


def test_the_clerk_desk_is_reserved_to_the_clerk(client, open_session) -> None:
    session, _members = open_session
    client.force_login(ResidentFactory())
    assert client.get(f"/assembly/greffe/seances/{session.pk}/").status_code == 403
    client.force_login(StaffFactory(role="moderator"))
    assert (
        client.post(f"/assembly/greffe/seances/{session.pk}/", {"action": "open"}).status_code
        == 403
    )


def test_the_clerk_records_attendance_and_a_vote_from_the_desk_without_javascript(
    client, open_session, clerk
) -> None:
    session, members = open_session
    client.force_login(clerk)
    page = client.get(f"/assembly/greffe/seances/{session.pk}/").content.decode()
    _page_checks(page)
    client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {"action": "attendance", "present": [m.pk for m in members[:3]]},
    )
    assert Attendance.objects.filter(session=session, present=True).count() == 3
    client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {"action": "motion", "title": "Motion", "majority": "simple", "kind": "ordinary"},
    )
    motion = session.motions.get()
    client.post(
        f"/assembly/greffe/seances/{session.pk}/", {"action": "motion_open", "motion": motion.pk}
    )
    client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {
            "action": "votes",
            "motion": motion.pk,
            f"vote_{members[0].pk}": "for",
            f"vote_{members[1].pk}": "abstain",
        },
    )
    response = client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {"action": "motion_close", "motion": motion.pk},
        follow=True,
    )
    motion.refresh_from_db()
    assert motion.status == MotionStatus.CLOSED and motion.result == "adopted"
    assert "Enregistré" in response.content.decode()


def test_a_refused_desk_action_shows_the_reason(client, open_session, clerk) -> None:
    session, _members = open_session
    client.force_login(clerk)
    client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {"action": "motion", "title": "Motion", "majority": "simple", "kind": "ordinary"},
    )
    motion = session.motions.get()
    response = client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {"action": "motion_open", "motion": motion.pk},
        follow=True,
    )
    assert "Quorum non atteint" in response.content.decode()


def test_the_mail_merge_file_is_for_the_clerk_only(client, recruiting, clerk) -> None:
    mandate = recruiting([("f", "nord")])
    client.force_login(ResidentFactory())
    assert client.get(f"/assembly/greffe/{mandate.pk}/invitations.csv").status_code == 403
    client.force_login(clerk)
    response = client.get(f"/assembly/greffe/{mandate.pk}/invitations.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_home_section_and_personal_data_export(client, recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    member = mandate.members.select_related("volunteer").first()
    user = ResidentFactory(register_entry=member.volunteer.register_entry)
    SessionFactory(
        mandate=mandate,
        status=SessionStatus.PUBLISHED,
        starts_at=timezone.now() + timezone.timedelta(days=3),
        title="Séance mobilité",
    )
    assert "Séance mobilité" in client.get("/").content.decode()
    client.force_login(user)
    data = client.get("/me/data/?format=json").json()
    assert data["assembly"]["invitations"][0]["status"] == "accepted"
    rows = data["assembly"]["volunteering"]
    assert rows[0]["pseudonym"] == member.volunteer.pseudonym
    assert rows[0]["member"]["seat"] == member.seat
    assert re.match(r"^V-[0-9a-f]{10}$", rows[0]["pseudonym"])


def test_the_clerk_runs_recruitment_commitment_draw_and_sessions_from_the_mandate_desk(
    client, clerk, freeze, django_capture_on_commit_callbacks
) -> None:
    from datetime import timedelta

    from assembly.models import FeatureKind, Mandate, Member, Reserve
    from tests.assembly.factories import MandateFactory
    from tests.factories import DistrictFactory

    nord = DistrictFactory(code="nord", name="Nord")
    mandate = MandateFactory(size=2, reserve_size=2)
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="quartier",
        label="Quartier",
        kind=FeatureKind.DISTRICT,
        quotas=[("nord", "Nord", 2, 2)],
    )
    RegisterEntryFactory.create_batch(6, district=nord)
    client.force_login(clerk)
    desk = f"/assembly/greffe/{mandate.pk}/"
    _page_checks(client.get(desk).content.decode())
    client.post(desk, {"action": "recruit"})
    client.post(desk, {"action": "invitations", "count": 6})
    batch = mandate.batches.get()
    assert "Tirer au sort les invitations de ce lot" in client.get(desk).content.decode()
    client.post(desk, {"action": "invitations_draw", "batch": batch.pk})
    assert Invitation.objects.filter(mandate=mandate).count() == 6
    for invitation in Invitation.objects.filter(mandate=mandate)[:5]:
        recruitment.volunteer_signup(
            token=recruitment.invitation_token(invitation), declared={}, consent=True
        )
    start = timezone.now()
    freeze(start)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task, eager here
        client.post(
            desk,
            {
                "action": "commitment",
                "seed_expected_at": (timezone.localtime(start) + timedelta(days=1)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
        )
    mandate.refresh_from_db()
    assert mandate.status == "committed"
    freeze(start + timedelta(days=2))
    client.post(desk, {"action": "draw"})
    assert (
        Member.objects.filter(mandate=mandate).count() == 2
        and Reserve.objects.filter(mandate=mandate).count() == 2
    )
    leaving = Member.objects.filter(mandate=mandate).first()
    client.post(desk, {"action": "leave", "member": leaving.pk, "reason": "santé"})
    leaving.refresh_from_db()
    assert leaving.status == "replaced"
    client.post(
        desk,
        {
            "action": "session",
            "title": "Séance 1",
            "starts_at": "2030-01-10T18:00",
            "place": "Mairie",
            "capacity_minutes": 120,
        },
    )
    session = Mandate.objects.get(pk=mandate.pk).sessions.get()
    client.post(
        f"/assembly/greffe/seances/{session.pk}/",
        {
            "action": "agenda_item",
            "title": "Accueil",
            "duration_minutes": 20,
            "source_kind": "staff",
        },
    )
    assert session.agenda_items.get().title == "Accueil"
    refused = client.post(desk, {"action": "draw"}, follow=True)
    assert "message-error" in refused.content.decode()


def test_a_volunteer_can_withdraw_before_the_commitment_and_is_then_left_out_of_the_pool(
    client, recruiting
) -> None:
    mandate, token = _invitation(recruiting)
    client.post(f"/assembly/volontaire/{token}/", {"feature_genre": "m", "consent": "on"})
    page = client.get(f"/assembly/volontaire/{token}/").content.decode()
    assert "Retirer ma candidature" in page
    client.post(f"/assembly/volontaire/{token}/", {"withdraw": "1"})
    assert Volunteer.objects.get().withdrawn_at is not None
    assert pool.pool_volunteers(mandate) == []
    assert (
        "Retirer ma candidature"
        not in client.get(f"/assembly/volontaire/{token}/").content.decode()
    )
