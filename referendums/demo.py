"""Demo content: an online vote open now, a published one with its ballot box, and a binding
paper referendum scheduled on a lawful calendar with its polling stations. Idempotent (keyed by
`subject_key`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from civic.demo import resident_email
from civic.models import District, RegisterEntry, User
from referendums.legal_calendar import add_months, legal_campaign_opening, local_midnight
from referendums.models import (
    Campaign,
    CampaignStatus,
    ElectoralCalendarEntry,
    PollingStation,
)
from referendums.services.campaigns import (
    argument_set,
    campaign_create,
    campaign_open_due,
    campaign_publish_results,
    campaign_schedule,
    campaigner_authorise,
    voting_close_due,
    voting_open_due,
)
from referendums.services.voting import ballot_cast

MANAGER = "campaigns@example.org"


# Where the demo's polling stations stand (the finder matches street names).
DEMO_STREETS = (
    "rue Carnot",
    "avenue de la Libération",
    "rue des Écoles",
    "place du Marché",
    "boulevard Pasteur",
    "rue Victor Hugo",
    "rue Jean Jaurès",
    "allée des Tilleuls",
    "rue de la Gare",
)


def _open_now(
    manager: User, *, subject: str, title: str, title_en: str, days_open: int
) -> Campaign:
    now = timezone.now()
    campaign = campaign_create(
        actor=manager,
        kind="online_vote",
        title_fr=title,
        title_en=title_en,
        summary_fr="Votation citoyenne organisée par la ville, au vote secret en ligne.",
        summary_en="A citizens' vote run by the city, secret online ballot.",
        dossier_fr="Le dossier présente le projet, son coût et son calendrier.",
        dossier_en="The dossier presents the project, its cost and its timetable.",
        subject_key=subject,
        cutoff_date=timezone.localdate() - timedelta(days=3),
        campaign_opens_at=now - timedelta(days=3),
        voting_opens_at=now - timedelta(days=1),
        voting_closes_at=now + timedelta(days=days_open),
    )
    for side, name, text in (
        ("for", "Groupe majoritaire", "Un projet attendu par les habitants."),
        ("against", "Groupe d'opposition", "Un coût trop élevé pour la ville."),
    ):
        campaigner = campaigner_authorise(
            campaign_id=campaign.pk, actor=manager, name=name, side=side
        )
        argument_set(campaigner_id=campaigner.pk, actor=manager, text_fr=text)
    # The demo starts in the past: skip the "not in the past" check of scheduling.
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SCHEDULED, scheduled_at=now
    )
    campaign_open_due(campaign_id=campaign.pk)
    voting_open_due(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def _cast(campaign: Campaign, voters: list[User], pattern: str) -> None:
    question = str(campaign.questions.get().pk)
    for i, voter in enumerate(voters):
        choice = "o1" if pattern[i % len(pattern)] == "y" else "o2"  # o1: yes, o2: no
        ballot_cast(campaign_id=campaign.pk, user=voter, choices={question: choice})


def _next_sunday(after: date) -> date:
    return after + timedelta(days=(6 - after.weekday()) % 7 or 7)


@transaction.atomic
def seed_demo(*, stdout: Any) -> None:
    manager = User.objects.filter(email=MANAGER).first()
    if manager is None:
        stdout.write("referendums: no campaign manager account, skipped")
        return
    voters = list(
        User.objects.filter(
            email__in=[resident_email(n) for n in range(1, 201)], register_entry__isnull=False
        ).order_by("email")
    )

    if not Campaign.objects.filter(subject_key="demo-velo").exists():
        campaign = _open_now(
            manager,
            subject="demo-velo",
            title="Faut-il doubler les pistes cyclables du centre-ville ?",
            title_en="Should the city centre's cycle lanes be doubled?",
            days_open=14,
        )
        _cast(campaign, voters[: len(voters) // 2], "yyn")
        stdout.write(f"referendums: online vote open now (#{campaign.pk})")

    if not Campaign.objects.filter(subject_key="demo-parc").exists():
        campaign = _open_now(
            manager,
            subject="demo-parc",
            title="Faut-il ouvrir le parc de Blossac la nuit en été ?",
            title_en="Should Blossac park open at night in summer?",
            days_open=1,
        )
        _cast(campaign, voters, "ynn")
        # Close it now: the demo shows a published result and its ballot box.
        Campaign.objects.filter(pk=campaign.pk).update(
            voting_closes_at=timezone.now() - timedelta(seconds=1)
        )
        voting_close_due(campaign_id=campaign.pk)
        campaign_publish_results(campaign_id=campaign.pk, actor=manager)
        stdout.write(f"referendums: published online vote (#{campaign.pk})")

    districts = list(District.objects.order_by("code"))
    electors = dict(
        RegisterEntry.objects.filter(active=True, kind__in=["elector", "eu_elector"])
        .values_list("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    for i, district in enumerate(districts, start=1):
        PollingStation.objects.get_or_create(
            code=f"bv{i:02d}",
            defaults={
                "name": f"Bureau {i} — {district.name}",
                "address": f"{i * 3} {DEMO_STREETS[(i - 1) % len(DEMO_STREETS)]}",
                "district": district,
                "registered_electors": electors.get(district.pk, 0),
            },
        )
    ElectoralCalendarEntry.objects.get_or_create(
        label="Élections municipales 2032",
        defaults={"kind": "council_renewal", "starts_on": date(2032, 3, 14)},
    )

    if not Campaign.objects.filter(subject_key="demo-tram").exists():
        vote = _next_sunday(timezone.localdate() + timedelta(days=120))
        campaign = campaign_create(
            actor=manager,
            kind="binding_referendum",
            title_fr="Projet de délibération : création d'une ligne de tramway",
            title_en="Draft decision: a new tram line",
            dossier_fr=(
                "Question posée, projet de délibération, rapport explicatif. Le projet est "
                "adopté si la moitié au moins des électeurs inscrits a pris part au scrutin et "
                "s'il réunit la majorité des suffrages exprimés (CGCT LO1112-7)."
            ),
            subject_key="demo-tram",
            cutoff_date=vote - timedelta(days=30),
            deliberation_date=timezone.localdate(),
            prefect_transmission_date=min(
                timezone.localdate() + timedelta(days=2), add_months(vote, -2)
            ),
            dossier_public_date=vote - timedelta(days=20),
            campaign_opens_at=local_midnight(legal_campaign_opening(vote)),
            voting_opens_at=local_midnight(vote) + timedelta(hours=8),
            voting_closes_at=local_midnight(vote) + timedelta(hours=19),
        )
        campaign_schedule(campaign_id=campaign.pk, actor=manager)
        stdout.write(f"referendums: binding referendum scheduled on {vote} (#{campaign.pk})")
