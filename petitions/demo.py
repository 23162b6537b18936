"""Demo content for the petitions app: one initiative at each stage. Idempotent (keyed by title)."""

from __future__ import annotations

from typing import Any

from civic.demo import resident_email
from civic.models import User
from petitions import services
from petitions.models import Initiative

CHARTER = "interpellation-charte"
LEGAL = "consultation-l1112-16"


def _resident(n: int) -> User | None:
    return User.objects.filter(email=resident_email(n)).first()


def _moderator() -> User | None:
    return User.objects.filter(email="moderator@example.org").first()


def _draft(initiator: User, title: str, summary: str, slugs: list[str]) -> Initiative:
    return services.initiative_create(
        actor=initiator,
        title=title,
        summary=summary,
        body=summary + "\n\nTexte complet de l'initiative, rédigé par ses porteurs.",
        instrument_slugs=slugs,
    )


def _cosigned(initiative: Initiative, promoters: list[User]) -> None:
    for promoter in promoters:
        services.promoter_invite(
            initiative_id=initiative.pk, actor=initiative.initiator, email=promoter.email
        )
        services.promoter_cosign(initiative_id=initiative.pk, user=promoter)


def seed_demo(*, stdout: Any) -> None:
    moderator = _moderator()
    people = [u for n in range(1, 121) if (u := _resident(n)) is not None]
    if moderator is None or len(people) < 10:
        stdout.write("petitions: demo skipped (needs the moderator and at least 10 residents)\n")
        return
    plans = [
        (
            "Des arbres dans la rue de la Cathédrale",
            "Planter vingt arbres d'alignement.",
            [CHARTER],
            "collecting",
            60,
        ),
        (
            "Consultation sur la piétonnisation du centre",
            "Demander une consultation des électeurs.",
            [CHARTER, LEGAL],
            "collecting",
            25,
        ),
        (
            "Un terrain multisport aux Couronneries",
            "Créer un terrain ouvert à tous.",
            [CHARTER],
            "submitted",
            0,
        ),
        ("Des bancs au parc de Blossac", "Installer des bancs à l'ombre.", [CHARTER], "draft", 0),
    ]
    created = 0
    for index, (title, summary, slugs, stage, signatures) in enumerate(plans):
        if Initiative.objects.filter(title=title).exists():
            continue
        initiator = people[index]
        initiative = _draft(initiator, title, summary, slugs)
        if stage == "draft":
            created += 1
            continue
        _cosigned(initiative, people[4 + 2 * index : 6 + 2 * index])
        services.initiative_submit(initiative_id=initiative.pk, actor=initiator)
        if stage == "collecting":
            services.initiative_review_start(initiative_id=initiative.pk, actor=moderator)
            services.initiative_publish(initiative_id=initiative.pk, actor=moderator)
            for signer in people[20 : 20 + signatures]:
                services.signature_sign(initiative_id=initiative.pk, user=signer)
        created += 1
    services.counts_tick()
    stdout.write(f"petitions: {created} demo initiatives\n")
