"""The assembly rows of the authorisation matrix (collected by tests/security/matrix.py).

The world gets, lazily and once per test: a seated mandate with a member and a public session
(published agenda), an open session (the member present) with a draft and an open motion, a
planned (not yet public) session, a mandate in recruitment with a pool of volunteers, and one
whose draw commitment is published (its seed not due yet). Reading is public (a planned session
only for the clerk and the auditor); every write is the assembly clerk's (and the
administrator's, who holds every role).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from tests.security.matrix import DENIED, NOT_FOUND, OK, REFUSED, Row, roles

CLERKS = {"administrator": OK, "assembly_clerk": OK}


def thing(world: Any, kind: str) -> Any:
    cache = world.__dict__.setdefault("assembly", {})
    if kind not in cache:
        cache[kind] = _build(world, kind)
    return cache[kind]


def _build(world: Any, kind: str) -> Any:
    from assembly.models.sessions import Majority, Motion, MotionStatus, SessionStatus
    from tests.assembly.factories import MandateFactory, MemberFactory, SessionFactory

    if kind == "mandate":
        return MandateFactory(seated=True)
    if kind == "pooled":
        return _pooled_mandate()
    if kind in ("committed", "requested"):
        from django.utils import timezone

        from assembly.services import commitment as commitments
        from tests.factories import StaffFactory

        # Published at once (as a worker would), or only asked for (the job waits).
        publish = (
            commitments.commitment_publish
            if kind == "committed"
            else commitments.commitment_request
        )
        mandate = _pooled_mandate()
        publish(
            mandate_id=mandate.pk,
            actor=cast(Any, StaffFactory(role="assembly_clerk")),
            seed_expected_at=timezone.now() + timedelta(days=2),
        )
        return mandate
    if kind == "member":
        return MemberFactory(mandate=thing(world, "mandate"))
    if kind in ("planned", "published", "open"):
        status = {
            "planned": SessionStatus.PLANNED,
            "published": SessionStatus.PUBLISHED,
            "open": SessionStatus.OPEN,
        }[kind]
        return SessionFactory(mandate=thing(world, "mandate"), status=status)
    if kind in ("draft_motion", "open_motion"):
        from django.utils import timezone

        from assembly.services import votes
        from tests.factories import StaffFactory

        open_now = kind == "open_motion"
        # The member is present: the quorum is met and the member may vote.
        votes.attendance_record(
            session_id=thing(world, "open").pk,
            actor=cast(Any, StaffFactory(role="assembly_clerk")),
            member_id=thing(world, "member").pk,
            present=True,
        )
        return Motion.objects.create(
            session=thing(world, "open"),
            title="Motion",
            majority=Majority.SIMPLE,
            status=MotionStatus.OPEN if open_now else MotionStatus.DRAFT,
            opened_at=timezone.now() if open_now else None,
        )
    if kind == "minutes":
        # A closed session a week before the open one, its minutes drafted.
        from django.utils import timezone

        from assembly.models.followup import Minutes

        earlier = SessionFactory(
            mandate=thing(world, "mandate"),
            status=SessionStatus.CLOSED,
            starts_at=thing(world, "open").starts_at - timedelta(days=7),
        )
        return Minutes.objects.create(session=earlier, body="Projet", drafted_at=timezone.now())
    if kind == "recommendation":
        from django.utils import timezone

        from assembly.models.followup import Recommendation

        return Recommendation.objects.create(
            mandate=thing(world, "mandate"),
            title="Matrice",
            text="Recommandation",
            adopted_at=timezone.now(),
        )
    raise KeyError(kind)


def _pooled_mandate() -> Any:
    """A mandate in recruitment, 4 seats by gender and district, with a pool of 10 volunteers
    signed up through the real service (as tests/assembly/conftest.py `recruiting` does)."""
    from assembly.models.composition import FeatureKind, Invitation, InvitationBatch
    from assembly.services import composition, recruitment
    from tests.assembly.factories import MandateFactory
    from tests.factories import DistrictFactory, RegisterEntryFactory, StaffFactory

    clerk: Any = StaffFactory(role="assembly_clerk")
    districts = {code: DistrictFactory(code=code, name=code.title()) for code in ("nord", "sud")}
    mandate: Any = MandateFactory(size=4, reserve_size=3)
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="genre",
        label="Genre",
        kind=FeatureKind.GENDER,
        quotas=[("f", "Femme", 2, 2), ("m", "Homme", 2, 2)],
    )
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="quartier",
        label="Quartier",
        kind=FeatureKind.DISTRICT,
        quotas=[("nord", "Nord", 1, 3), ("sud", "Sud", 1, 3)],
    )
    composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=clerk)
    batch = InvitationBatch.objects.create(mandate=mandate, seed="t", requested=0, population=0)
    pool = [("f", "nord"), ("f", "nord"), ("f", "sud"), ("f", "sud"), ("m", "nord")]
    pool += [("m", "nord"), ("m", "sud"), ("m", "sud"), ("f", "nord"), ("m", "sud")]
    for gender, district in pool:
        invitation = Invitation.objects.create(
            mandate=mandate,
            batch=batch,
            register_entry=cast(Any, RegisterEntryFactory(district=districts[district])),
        )
        recruitment.volunteer_signup(
            token=recruitment.invitation_token(invitation),
            declared={"genre": gender},
            consent=True,
        )
    mandate.refresh_from_db()
    return mandate


def _commitment_requested(world: Any) -> bool:
    from assembly.models.draw import CommitmentJob

    return CommitmentJob.objects.filter(mandate=thing(world, "pooled")).exists()


def _id(kind: str) -> Any:
    return lambda world: {"id": thing(world, kind).pk}


def _field_is(kind: str, name: str, value: str) -> Any:
    def effect(world: Any) -> bool:
        obj = thing(world, kind)
        obj.refresh_from_db()
        return bool(getattr(obj, name) == value)

    return effect


def _session_planned(world: Any) -> bool:
    return bool(thing(world, "mandate").sessions.filter(title="Matrice").exists())


def _agenda_item_added(world: Any) -> bool:
    return bool(thing(world, "published").agenda_items.filter(title="Matrice").exists())


def _minutes_session(world: Any) -> dict[str, Any]:
    return {"id": thing(world, "minutes").session_id}


def _motion_created(world: Any) -> bool:
    return bool(thing(world, "open").motions.filter(title="Matrice").exists())


def _attendance_recorded(world: Any) -> bool:
    from assembly.models.sessions import Attendance

    return Attendance.objects.filter(session=thing(world, "open")).exists()


def _vote_recorded(world: Any) -> bool:
    from assembly.models.sessions import MotionVote

    return MotionVote.objects.filter(motion=thing(world, "open_motion")).exists()


MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/assemblies/"): Row(expect=roles(OK), note="public"),
    ("GET", "/api/v1/assemblies/{id}/"): Row(expect=roles(OK), params=_id("mandate")),
    ("GET", "/api/v1/assemblies/{id}/members/"): Row(
        expect=roles(OK), params=lambda world: {"id": thing(world, "member").mandate_id}
    ),
    ("GET", "/api/v1/assemblies/{id}/draw/"): Row(
        # The committed payload is public before the draw, so anyone can check it afterwards.
        expect=roles(OK),
        params=_id("committed"),
    ),
    ("POST", "/api/v1/assemblies/{id}/commitment/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("pooled"),
        body=lambda world, role: {
            "seed_expected_at": (
                __import__("django.utils.timezone", fromlist=["now"]).now() + timedelta(days=7)
            ).isoformat(),
        },
        effect=_commitment_requested,
    ),
    ("GET", "/api/v1/assemblies/{id}/commitment/job/"): Row(
        # The clerk's work in progress: the commitment itself is public once published (draw/).
        expect=roles(DENIED, **CLERKS),
        params=_id("requested"),
    ),
    ("POST", "/api/v1/assemblies/{id}/draw/run/"): Row(
        # The round is not due yet (the draw cannot run before the announced round): past the role
        # check the domain refuses, which still proves that only the clerk gets that far.
        expect=roles(DENIED, administrator=REFUSED, assembly_clerk=REFUSED),
        params=_id("committed"),
        body=lambda world, role: {},
    ),
    ("POST", "/api/v1/assembly-members/{id}/leave/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("member"),
        body=lambda world, role: {"reason": "Démission"},
        effect=lambda world: (
            thing(world, "member").__class__.objects.get(pk=thing(world, "member").pk).status
            != "active"
        ),
    ),
    ("GET", "/api/v1/sessions/"): Row(expect=roles(OK), note="public; planned sessions hidden"),
    ("GET", "/api/v1/sessions/{id}/"): Row(
        # A planned session is not public yet: the clerk and the auditor only.
        expect=roles(NOT_FOUND, administrator=OK, assembly_clerk=OK, auditor=OK),
        params=_id("planned"),
    ),
    ("POST", "/api/v1/sessions/{id}/open/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("published"),
        effect=_field_is("published", "status", "open"),
    ),
    ("POST", "/api/v1/sessions/{id}/close/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("open"),
        effect=_field_is("open", "status", "closed"),
    ),
    ("POST", "/api/v1/sessions/{id}/attendance/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("open"),
        body=lambda world, role: {"member_id": thing(world, "member").pk, "present": True},
        effect=_attendance_recorded,
    ),
    ("POST", "/api/v1/sessions/{id}/motions/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("open"),
        body=lambda world, role: {"title": "Matrice", "majority": "simple"},
        effect=_motion_created,
    ),
    ("POST", "/api/v1/assemblies/{id}/sessions/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("mandate"),
        body=lambda world, role: {
            "title": "Matrice",
            "place": "Salle du conseil",
            "starts_at": (
                __import__("django.utils.timezone", fromlist=["now"]).now() + timedelta(days=20)
            ).isoformat(),
        },
        effect=_session_planned,
    ),
    ("GET", "/api/v1/assemblies/{id}/recommendations/"): Row(
        expect=roles(OK), params=lambda world: {"id": thing(world, "recommendation").mandate_id}
    ),
    ("GET", "/api/v1/sessions/{id}/agenda-items/"): Row(
        expect=roles(NOT_FOUND, administrator=OK, assembly_clerk=OK, auditor=OK),
        params=_id("planned"),
    ),
    ("POST", "/api/v1/sessions/{id}/agenda-items/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("published"),
        body=lambda world, role: {"title": "Matrice", "duration_minutes": 10},
        effect=_agenda_item_added,
    ),
    ("POST", "/api/v1/sessions/{id}/agenda/publish/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("planned"),
        effect=_field_is("planned", "status", "published"),
    ),
    ("GET", "/api/v1/sessions/{id}/attendance/"): Row(
        expect=roles(OK), params=_id("open"), note="public once the session opens"
    ),
    ("GET", "/api/v1/sessions/{id}/minutes/"): Row(
        # A draft is the clerk's and the auditor's: the public reads published minutes only.
        expect=roles(NOT_FOUND, administrator=OK, assembly_clerk=OK, auditor=OK),
        params=_minutes_session,
    ),
    ("PATCH", "/api/v1/sessions/{id}/minutes/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_minutes_session,
        body=lambda world, role: {"body": "Texte revu"},
        effect=_field_is("minutes", "body", "Texte revu"),
    ),
    ("POST", "/api/v1/sessions/{id}/minutes/approve/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_minutes_session,
        body=lambda world, role: {"at_session_id": thing(world, "open").pk},
        effect=_field_is("minutes", "status", "approved"),
    ),
    ("POST", "/api/v1/sessions/{id}/minutes/publish/"): Row(
        # A draft cannot be published: past the role check the domain refuses.
        expect=roles(DENIED, administrator=REFUSED, assembly_clerk=REFUSED),
        params=_minutes_session,
    ),
    ("GET", "/api/v1/recommendations/{id}/"): Row(expect=roles(OK), params=_id("recommendation")),
    ("POST", "/api/v1/recommendations/{id}/refer/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("recommendation"),
        body=lambda world, role: {
            "answer_due": (
                __import__("django.utils.timezone", fromlist=["localdate"]).localdate()
                + timedelta(days=60)
            ).isoformat()
        },
        effect=_field_is("recommendation", "status", "referred"),
    ),
    ("POST", "/api/v1/recommendations/{id}/answer/"): Row(
        # Not referred yet: past the role check the domain refuses.
        expect=roles(DENIED, administrator=REFUSED, assembly_clerk=REFUSED),
        params=_id("recommendation"),
        body=lambda world, role: {"answer": "Le conseil adopte."},
    ),
    ("POST", "/api/v1/recommendations/{id}/referendum/"): Row(
        expect=roles(DENIED, campaign_manager=OK, **CLERKS),
        params=_id("recommendation"),
        effect=_field_is("recommendation", "status", "referendum_asked"),
    ),
    ("POST", "/api/v1/motions/{id}/open/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("draft_motion"),
        effect=_field_is("draft_motion", "status", "open"),
    ),
    ("POST", "/api/v1/motions/{id}/close/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("open_motion"),
        effect=_field_is("open_motion", "status", "closed"),
    ),
    ("POST", "/api/v1/motions/{id}/votes/"): Row(
        expect=roles(DENIED, **CLERKS),
        params=_id("open_motion"),
        body=lambda world, role: {"member_id": thing(world, "member").pk, "choice": "for"},
        effect=_vote_recorded,
    ),
}
