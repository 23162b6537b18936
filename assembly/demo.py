"""Demo content: a mandate recruited, committed, drawn and seated; one past session with votes
and minutes approved at a second one and published, an upcoming session with its agenda
published and one still in preparation. Idempotent (keyed on the mandate title), seeded."""

from __future__ import annotations

import hashlib
import random
import time
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from assembly.models import (
    Attendance,
    FeatureKind,
    Invitation,
    Majority,
    Mandate,
    Member,
    VoteChoice,
)
from assembly.services import composition, draw, recruitment, sessions, votes
from assembly.services.commitment import commitment_publish
from assembly.services.minutes import minutes_approve, minutes_publish
from civic.models import District, User

TITLE = "Assemblée citoyenne du climat 2027"


def demo_round(url: str, timeout: float) -> dict[str, Any]:
    """A stand-in for the drand relays, which a demo machine may not reach: a round of the right
    shape (randomness = SHA-256 of the signature) but not signed by the League of Entropy."""
    number = int(url.rstrip("/").rsplit("/", 1)[1])
    signature = (hashlib.sha256(f"demo {number}".encode()).hexdigest() * 2)[:96]
    randomness = hashlib.sha256(bytes.fromhex(signature)).hexdigest()
    return {"round": number, "randomness": randomness, "signature": signature}


AGE_BANDS = [
    ("16-29", "16 à 29 ans"),
    ("30-44", "30 à 44 ans"),
    ("45-59", "45 à 59 ans"),
    ("60+", "60 ans et plus"),
]


def seed_demo(*, stdout: Any) -> None:
    if Mandate.objects.filter(title=TITLE).exists():
        stdout.write("assembly: demo mandate already there")
        return
    clerk = User.objects.filter(email="clerk@example.org").first()
    if clerk is None:
        stdout.write("assembly: no clerk account, skipped")
        return
    rng = random.Random(2027)
    today = timezone.localdate()
    mandate = composition.mandate_create(
        actor=clerk,
        title=TITLE,
        description="Vingt-quatre habitantes et habitants tirés au sort travaillent un an sur l'adaptation de la ville au climat.",
        starts_on=today,
        ends_on=date(today.year + 1, today.month, min(today.day, 28)),
        size=24,
        reserve_size=8,
    )
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="genre",
        label="Genre",
        kind=FeatureKind.GENDER,
        quotas=[
            ("f", "Femme", 11, 13),
            ("m", "Homme", 11, 13),
            ("x", "Autre ou non précisé", 0, 2),
        ],
    )
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="age",
        label="Tranche d'âge",
        kind=FeatureKind.AGE_BAND,
        quotas=[(v, lbl, 4, 8) for v, lbl in AGE_BANDS],
    )
    districts = list(District.objects.order_by("code"))
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="quartier",
        label="Quartier",
        kind=FeatureKind.DISTRICT,
        quotas=[(d.code, d.name, 2, 4) for d in districts],
    )
    composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=clerk)
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=400)
    recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)
    volunteers = 0
    for invitation in Invitation.objects.filter(mandate=mandate).order_by("id"):
        if rng.random() > 0.3:
            continue
        try:
            recruitment.volunteer_signup(
                token=recruitment.invitation_token(invitation),
                declared={"genre": rng.choice(["f", "m", "f", "m", "x"])},
                consent=True,
            )
            volunteers += 1
        except Exception as exc:  # a demo entry outside every age band: not a volunteer
            stdout.write(f"assembly: volunteer skipped ({type(exc).__name__})")
    commitment = commitment_publish(
        mandate_id=mandate.pk, actor=clerk, seed_expected_at=timezone.now() + timedelta(seconds=1)
    )
    # The round the commitment names must be produced before the draw: a few seconds at most.
    time.sleep(max(0.0, (commitment.seed_expected_at - timezone.now()).total_seconds()) + 0.1)
    draw.draw_run(mandate_id=mandate.pk, actor=clerk, fetch=demo_round)
    members = list(Member.objects.filter(mandate=mandate).order_by("seat"))
    past = sessions.session_create(
        mandate_id=mandate.pk,
        actor=clerk,
        title="Séance d'installation",
        starts_at=timezone.now() - timedelta(days=14),
        place="Hôtel de ville, salle du conseil",
    )
    sessions.agenda_item_add(
        session_id=past.pk, actor=clerk, title="Présentation du mandat", duration_minutes=45
    )
    sessions.agenda_item_add(
        session_id=past.pk, actor=clerk, title="Règlement intérieur", duration_minutes=60
    )
    sessions.session_publish_agenda(session_id=past.pk, actor=clerk)
    sessions.session_open(session_id=past.pk, actor=clerk)
    for member in members:
        votes.attendance_record(
            session_id=past.pk, member_id=member.pk, present=rng.random() < 0.85, actor=clerk
        )
    motion = votes.motion_create(
        session_id=past.pk,
        actor=clerk,
        title="Adoption du règlement intérieur",
        majority=Majority.ABSOLUTE,
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    for member in members:
        if Attendance.objects.filter(session=past, member=member, present=True).exists():
            choice = rng.choice([VoteChoice.FOR] * 5 + [VoteChoice.AGAINST, VoteChoice.ABSTAIN])
            votes.vote_record(motion_id=motion.pk, member_id=member.pk, choice=choice, actor=clerk)
    votes.motion_close(motion_id=motion.pk, actor=clerk)
    sessions.session_close(session_id=past.pk, actor=clerk)
    _second_session_publishing_minutes(mandate.pk, past.pk, clerk)
    _upcoming_sessions(mandate.pk, clerk)
    stdout.write(
        f"assembly: demo mandate with {volunteers} volunteers, {len(members)} members, 4 sessions"
    )


def _second_session_publishing_minutes(mandate_id: int, first_id: int, clerk: User) -> None:
    """A later past session approves the first one's minutes, which are then published: the demo
    shows a session with its public minutes."""
    second = sessions.session_create(
        mandate_id=mandate_id,
        actor=clerk,
        title="Séance de travail : mobilités",
        starts_at=timezone.now() - timedelta(days=7),
        place="Hôtel de ville, salle du conseil",
    )
    sessions.agenda_item_add(
        session_id=second.pk,
        actor=clerk,
        title="Approbation du procès-verbal de la séance d'installation",
        duration_minutes=15,
    )
    sessions.session_publish_agenda(session_id=second.pk, actor=clerk)
    sessions.session_open(session_id=second.pk, actor=clerk)
    minutes_approve(session_id=first_id, at_session_id=second.pk, actor=clerk)
    sessions.session_close(session_id=second.pk, actor=clerk)
    minutes_publish(session_id=first_id, actor=clerk)


def _upcoming_sessions(mandate_id: int, clerk: User) -> None:
    """One session announced (its agenda published), one the clerk still prepares."""
    upcoming = sessions.session_create(
        mandate_id=mandate_id,
        actor=clerk,
        title="Séance de travail : îlots de chaleur",
        starts_at=timezone.now() + timedelta(days=10),
        place="Maison des projets, Trois-Cités",
    )
    sessions.agenda_item_add(
        session_id=upcoming.pk, actor=clerk, title="Audition d'experts", duration_minutes=60
    )
    sessions.session_publish_agenda(session_id=upcoming.pk, actor=clerk)
    sessions.session_create(
        mandate_id=mandate_id,
        actor=clerk,
        title="Séance plénière : premières recommandations",
        starts_at=timezone.now() + timedelta(days=40),
        place="Hôtel de ville, salle du conseil",
    )
