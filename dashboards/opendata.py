"""Open-data datasets: what each export holds, described once (the JSON schema and
docs/opendata.md follow these definitions). Nothing personal: no names of residents, no register
references, no member's individual vote; only published items."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from petitions.models import (
    Initiative,
    InitiativeCount,
    InitiativeTrack,
    Obligation,
    TrackRung,
)

Row = dict[str, Any]


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    fields: dict[str, tuple[str, str]]  # name -> (JSON type, description)
    rows: Callable[[], Iterator[Row]]

    def schema(self) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.title,
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    name: {"type": [kind, "null"], "description": text}
                    for name, (kind, text) in self.fields.items()
                },
                "required": list(self.fields),
            },
        }


def _published() -> Any:
    return Initiative.objects.filter(published_at__isnull=False)


def _initiatives() -> Iterator[Row]:
    query = (
        _published()
        .select_related("district")
        .prefetch_related(
            Prefetch(
                "tracks",
                queryset=InitiativeTrack.objects.select_related("instrument_type").order_by(
                    "position"
                ),
            )
        )
        .order_by("pk")
    )
    for i in query.iterator(chunk_size=500):
        yield {
            "id": i.pk,
            "title": i.title,
            "summary": i.summary,
            "status": i.status,
            "district": i.district.code if i.district else None,
            "instruments": " ".join(t.instrument_type.slug for t in i.tracks.all()),
            "published_at": i.published_at,
            "closes_at": i.closes_at,
            "closed_at": i.closed_at,
            "withdrawn_at": i.withdrawn_at,
        }


def _counts() -> Iterator[Row]:
    tracks = {
        (t.initiative_id, t.position): t.instrument_type.slug
        for t in InitiativeTrack.objects.filter(initiative__published_at__isnull=False)
        .select_related("instrument_type")
        .only("initiative_id", "position", "instrument_type__slug")
    }
    query = InitiativeCount.objects.filter(initiative__published_at__isnull=False).order_by(
        "initiative_id", "track"
    )
    for c in query.iterator(chunk_size=2000):
        yield {
            "initiative_id": c.initiative_id,
            "track": c.track,
            "instrument": "total" if c.track < 0 else tracks.get((c.initiative_id, c.track)),
            "count": c.count,
            "updated_at": c.updated_at,
        }


def _rungs() -> Iterator[Row]:
    query = (
        TrackRung.objects.filter(track__initiative__published_at__isnull=False)
        .select_related("track__instrument_type")
        .order_by("track__initiative_id", "track__position", "order")
    )
    for r in query.iterator(chunk_size=2000):
        yield {
            "initiative_id": r.track.initiative_id,
            "track": r.track.position,
            "instrument": r.track.instrument_type.slug,
            "order": r.order,
            "threshold": r.threshold,
            "obligation_kind": r.obligation_kind,
            "reached_at": r.reached_at,
            "reached_count": r.reached_count,
        }


def _obligations() -> Iterator[Row]:
    for o in Obligation.objects.order_by("id").iterator(chunk_size=2000):
        yield {
            "id": o.pk,
            "initiative_id": o.initiative_id,
            "kind": o.kind,
            "text": o.text,
            "created_at": o.created_at,
            "due_at": o.due_at,
            "status": o.status,
            "done_at": o.done_at,
            "evidence_url": o.evidence_url,
            "evidence_text": o.evidence_text,
        }


def _published_campaigns() -> Any:
    from referendums.models.campaigns import Campaign, CampaignStatus

    return Campaign.objects.filter(
        status__in=[CampaignStatus.RESULTS_PUBLISHED, CampaignStatus.ARCHIVED]
    )


def _referendum_stations() -> Iterator[Row]:
    from referendums.models.paper import StationResult, StationStatus

    query = (
        StationResult.objects.filter(
            campaign__in=_published_campaigns(),
            status__in=[StationStatus.AGREED, StationStatus.RESOLVED],
        )
        .select_related("station__district")
        .order_by("campaign_id", "station__code")
    )
    for r in query.iterator(chunk_size=2000):
        yield {
            "campaign_id": r.campaign_id,
            "station": r.station.code,
            "station_name": r.station.name,
            "district": r.station.district.code,
            "registered": r.registered,
            "voters": r.voters,
            "blank": r.blank,
            "null": r.null,
            "yes": r.yes,
            "no": r.no,
        }


def _referendum_districts() -> Iterator[Row]:
    for campaign in _published_campaigns().order_by("id"):
        results = campaign.results or {}
        for district in results.get("districts") or []:
            for question in district.get("questions") or []:
                for option in question.get("options") or []:
                    yield {
                        "campaign_id": campaign.pk,
                        "district": district.get("code"),
                        "electorate": district.get("electorate"),
                        "participations": district.get("participations"),
                        "question_id": question.get("id"),
                        "option": option.get("key"),
                        "count": option.get("count"),
                        "suppressed": bool(option.get("suppressed")),
                    }


def _sessions() -> Iterator[Row]:
    from assembly.models import Session

    for s in Session.objects.exclude(status="planned").order_by("starts_at", "id"):
        yield {
            "id": s.pk,
            "title": s.title,
            "starts_at": s.starts_at,
            "place": s.place,
            "status": s.status,
            "agenda_published_at": s.agenda_published_at,
            "opened_at": s.opened_at,
            "closed_at": s.closed_at,
        }


def _votes() -> Iterator[Row]:
    from assembly.models import Motion

    for m in Motion.objects.filter(status="closed").order_by("closed_at", "id"):
        yield {
            "id": m.pk,
            "session_id": m.session_id,
            "title": m.title,
            "kind": m.kind,
            "majority": m.majority,
            "result": m.result,
            "votes_for": m.votes_for,
            "votes_against": m.votes_against,
            "abstentions": m.abstentions,
            "present": m.present_count,
            "closed_at": m.closed_at,
        }


def _minutes() -> Iterator[Row]:
    from assembly.models import Minutes

    for m in Minutes.objects.filter(status="published").order_by("published_at", "id"):
        yield {
            "session_id": m.session_id,
            "approved_at": m.approved_at,
            "published_at": m.published_at,
            "body": m.body,
        }


I, S, D, B = "integer", "string", "string", "boolean"  # D: ISO 8601 date-time as a string

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "initiatives",
            "Initiatives publiées",
            {
                "id": (I, "identifiant"),
                "title": (S, "titre"),
                "summary": (S, "résumé"),
                "status": (S, "collecting | closed | withdrawn"),
                "district": (S, "code du quartier concerné, vide pour toute la ville"),
                "instruments": (S, "identifiants des volets séparés par des espaces"),
                "published_at": (D, "ouverture de la collecte"),
                "closes_at": (D, "fin prévue de la collecte"),
                "closed_at": (D, "clôture effective"),
                "withdrawn_at": (D, "retrait par les porteurs"),
            },
            _initiatives,
        ),
        Dataset(
            "counts",
            "Signatures publiées par initiative et par volet",
            {
                "initiative_id": (I, "initiative"),
                "track": (I, "position du volet ; -1 pour le total"),
                "instrument": (S, "identifiant du volet, « total » pour le total"),
                "count": (I, "signatures comptées"),
                "updated_at": (D, "dernier comptage"),
            },
            _counts,
        ),
        Dataset(
            "rungs",
            "Paliers et dates de franchissement",
            {
                "initiative_id": (I, "initiative"),
                "track": (I, "position du volet"),
                "instrument": (S, "identifiant du volet"),
                "order": (I, "rang du palier"),
                "threshold": (I, "seuil en signatures, fixé à l'ouverture"),
                "obligation_kind": (S, "engagement de la ville"),
                "reached_at": (D, "franchi le"),
                "reached_count": (I, "signatures au franchissement"),
            },
            _rungs,
        ),
        Dataset(
            "obligations",
            "Engagements de la ville nés des paliers",
            {
                "id": (I, "identifiant"),
                "initiative_id": (I, "initiative"),
                "kind": (S, "type d'engagement"),
                "text": (S, "ce que la ville doit faire"),
                "created_at": (D, "créé le"),
                "due_at": (D, "échéance"),
                "status": (S, "open | done"),
                "done_at": (D, "fait le"),
                "evidence_url": (S, "lien vers le compte rendu ou la délibération"),
                "evidence_text": (S, "compte rendu"),
            },
            _obligations,
        ),
        Dataset(
            "referendum-stations",
            "Résultats publiés par bureau de vote (scrutins papier)",
            {
                "campaign_id": (I, "scrutin"),
                "station": (S, "code du bureau"),
                "station_name": (S, "nom du bureau"),
                "district": (S, "quartier"),
                "registered": (I, "inscrits"),
                "voters": (I, "votants"),
                "blank": (I, "blancs"),
                "null": (I, "nuls"),
                "yes": (I, "oui"),
                "no": (I, "non"),
            },
            _referendum_stations,
        ),
        Dataset(
            "referendum-districts",
            "Résultats publiés par quartier (cellules sous le seuil masquées)",
            {
                "campaign_id": (I, "scrutin"),
                "district": (S, "quartier"),
                "electorate": (I, "inscrits"),
                "participations": (I, "participations (vide si masqué)"),
                "question_id": (I, "question"),
                "option": (S, "réponse"),
                "count": (I, "voix (vide si masqué)"),
                "suppressed": (B, "cellule masquée (petit effectif)"),
            },
            _referendum_districts,
        ),
        Dataset(
            "assembly-sessions",
            "Séances de l'assemblée citoyenne",
            {
                "id": (I, "identifiant"),
                "title": (S, "intitulé"),
                "starts_at": (D, "date et heure"),
                "place": (S, "lieu"),
                "status": (S, "published | open | closed | cancelled"),
                "agenda_published_at": (D, "ordre du jour publié le"),
                "opened_at": (D, "ouverte le"),
                "closed_at": (D, "close le"),
            },
            _sessions,
        ),
        Dataset(
            "assembly-votes",
            "Votes de l'assemblée (totaux par motion, jamais le vote d'un membre)",
            {
                "id": (I, "motion"),
                "session_id": (I, "séance"),
                "title": (S, "intitulé"),
                "kind": (S, "type de motion"),
                "majority": (S, "majorité requise"),
                "result": (S, "adopted | rejected"),
                "votes_for": (I, "pour"),
                "votes_against": (I, "contre"),
                "abstentions": (I, "abstentions"),
                "present": (I, "membres présents"),
                "closed_at": (D, "vote clos le"),
            },
            _votes,
        ),
        Dataset(
            "assembly-minutes",
            "Procès-verbaux publiés",
            {
                "session_id": (I, "séance"),
                "approved_at": (D, "approuvé le"),
                "published_at": (D, "publié le"),
                "body": (S, "texte"),
            },
            _minutes,
        ),
    ]
}
