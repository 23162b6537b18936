"""Open-data datasets: what each export holds, described once in one table (the JSON schema, the
CSV header and docs/opendata.md follow it). Nothing personal: no names of residents, no register
references, no member's individual vote; only published items.

Each dataset is a source (a query, or a generator for what is not one row per model instance) and
its columns: name, JSON type, description, and where the value comes from, a dotted path on the
source's item (the column's name by default; `None` along the way gives `None`) or a function."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import QuerySet

from assembly.selectors import (
    dashboard_minutes,
    dashboard_minutes_body,
    dashboard_sessions,
    dashboard_votes,
)
from petitions.selectors.dashboards import (
    dashboard_opendata_counts,
    dashboard_opendata_initiatives,
    dashboard_opendata_obligations,
    dashboard_opendata_rungs,
    dashboard_public_summary,
    dashboard_public_title,
)
from referendums.selectors import dashboard_published_campaigns, dashboard_station_results

Row = dict[str, Any]
Getter = Callable[[Any], Any]


def _path(dotted: str) -> Getter:
    parts = dotted.split(".")

    def get(item: Any) -> Any:
        for part in parts:
            if item is None:
                return None
            item = item.get(part) if isinstance(item, Mapping) else getattr(item, part)
        return item

    return get


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # JSON type
    text: str
    value: Getter


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    source: Callable[[], Iterable[Any]]
    columns: tuple[Column, ...]
    chunk_size: int = 2000

    @property
    def fields(self) -> dict[str, tuple[str, str]]:
        """name -> (JSON type, description)"""
        return {c.name: (c.kind, c.text) for c in self.columns}

    def rows(self) -> Iterator[Row]:
        items = self.source()
        if isinstance(items, QuerySet):  # streamed: an export of any size uses flat memory
            items = items.iterator(chunk_size=self.chunk_size)
        for item in items:
            yield {c.name: c.value(item) for c in self.columns}

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


ColumnSpec = tuple[str, str, str] | tuple[str, str, str, str | Getter]


def dataset(
    name: str,
    title: str,
    source: Callable[[], Iterable[Any]],
    *columns: ColumnSpec,
    chunk_size: int = 2000,
) -> Dataset:
    """A dataset from (name, JSON type, description[, dotted path or function]) columns."""
    built = []
    for name_, kind, text, *where in columns:
        value = where[0] if where else name_
        built.append(Column(name_, kind, text, _path(value) if isinstance(value, str) else value))
    return Dataset(name, title, source, tuple(built), chunk_size)


# Sources: the published items, in a stable order (read through the instruments' selectors).


def _instruments(initiative: Any) -> str:
    return " ".join(t.instrument_type.slug for t in initiative.tracks.all())


def _counts() -> Iterator[SimpleNamespace]:
    for count, instrument in dashboard_opendata_counts():
        yield SimpleNamespace(count=count, instrument=instrument)


def _referendum_districts() -> Iterator[SimpleNamespace]:
    """One item per published option count: (campaign, district, question, option)."""
    for campaign in dashboard_published_campaigns().order_by("id"):
        for district in (campaign.results or {}).get("districts") or []:
            for question in district.get("questions") or []:
                for option in question.get("options") or []:
                    yield SimpleNamespace(
                        campaign=campaign, district=district, question=question, option=option
                    )


def _suppressed(item: SimpleNamespace) -> bool:
    return bool(item.option.get("suppressed"))


INT, S, D, B = "integer", "string", "string", "boolean"  # D: ISO 8601 date-time as a string

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        dataset(
            "initiatives",
            "Initiatives publiées",
            dashboard_opendata_initiatives,
            ("id", INT, "identifiant", "pk"),
            (
                "title",
                S,
                "titre (« Initiative dépubliée » une fois dépubliée)",
                dashboard_public_title,
            ),
            ("summary", S, "résumé (vide une fois dépubliée)", dashboard_public_summary),
            ("status", S, "collecting | closed | withdrawn"),
            ("district", S, "code du quartier concerné, vide pour toute la ville", "district.code"),
            ("instruments", S, "identifiants des volets séparés par des espaces", _instruments),
            ("published_at", D, "ouverture de la collecte"),
            ("closes_at", D, "fin prévue de la collecte"),
            ("closed_at", D, "clôture effective"),
            ("withdrawn_at", D, "retrait par les porteurs"),
            chunk_size=500,
        ),
        dataset(
            "counts",
            "Signatures publiées par initiative et par volet",
            _counts,
            ("initiative_id", INT, "initiative", "count.initiative_id"),
            ("track", INT, "position du volet ; -1 pour le total", "count.track"),
            ("instrument", S, "identifiant du volet, « total » pour le total"),
            ("count", INT, "signatures comptées", "count.count"),
            ("updated_at", D, "dernier comptage", "count.updated_at"),
        ),
        dataset(
            "rungs",
            "Paliers et dates de franchissement",
            dashboard_opendata_rungs,
            ("initiative_id", INT, "initiative", "track.initiative_id"),
            ("track", INT, "position du volet", "track.position"),
            ("instrument", S, "identifiant du volet", "track.instrument_type.slug"),
            ("order", INT, "rang du palier"),
            ("threshold", INT, "seuil en signatures, fixé à l'ouverture"),
            ("obligation_kind", S, "engagement de la ville"),
            ("reached_at", D, "franchi le"),
            ("reached_count", INT, "signatures au franchissement"),
        ),
        dataset(
            "obligations",
            "Engagements de la ville nés des paliers",
            dashboard_opendata_obligations,
            ("id", INT, "identifiant", "pk"),
            ("initiative_id", INT, "initiative"),
            ("kind", S, "type d'engagement"),
            ("text", S, "ce que la ville doit faire"),
            ("created_at", D, "créé le"),
            ("due_at", D, "échéance"),
            ("status", S, "open | done"),
            ("done_at", D, "fait le"),
            ("evidence_url", S, "lien vers le compte rendu ou la délibération"),
            ("evidence_text", S, "compte rendu"),
        ),
        dataset(
            "referendum-stations",
            "Résultats publiés par bureau de vote (scrutins papier)",
            dashboard_station_results,
            ("campaign_id", INT, "scrutin"),
            ("station", S, "code du bureau", "station.code"),
            ("station_name", S, "nom du bureau", "station.name"),
            ("district", S, "quartier", "station.district.code"),
            ("registered", INT, "inscrits"),
            ("voters", INT, "votants"),
            ("blank", INT, "blancs"),
            ("null", INT, "nuls"),
            ("yes", INT, "oui"),
            ("no", INT, "non"),
        ),
        dataset(
            "referendum-districts",
            "Résultats publiés par quartier (cellules sous le seuil masquées)",
            _referendum_districts,
            ("campaign_id", INT, "scrutin", "campaign.pk"),
            ("district", S, "quartier", "district.code"),
            ("electorate", INT, "inscrits", "district.electorate"),
            ("participations", INT, "participations (vide si masqué)", "district.participations"),
            ("question_id", INT, "question", "question.id"),
            ("option", S, "réponse", "option.key"),
            ("count", INT, "voix (vide si masqué)", "option.count"),
            ("suppressed", B, "cellule masquée (petit effectif)", _suppressed),
        ),
        dataset(
            "assembly-sessions",
            "Séances de l'assemblée citoyenne",
            dashboard_sessions,
            ("id", INT, "identifiant", "pk"),
            ("title", S, "intitulé"),
            ("starts_at", D, "date et heure"),
            ("place", S, "lieu"),
            ("status", S, "published | open | closed | cancelled"),
            ("agenda_published_at", D, "ordre du jour publié le"),
            ("opened_at", D, "ouverte le"),
            ("closed_at", D, "close le"),
        ),
        dataset(
            "assembly-votes",
            "Votes de l'assemblée (totaux par motion, jamais le vote d'un membre)",
            dashboard_votes,
            ("id", INT, "motion", "pk"),
            ("session_id", INT, "séance"),
            ("title", S, "intitulé"),
            ("kind", S, "type de motion"),
            ("majority", S, "majorité requise"),
            ("result", S, "adopted | rejected"),
            ("votes_for", INT, "pour"),
            ("votes_against", INT, "contre"),
            ("abstentions", INT, "abstentions"),
            ("present", INT, "membres présents", "present_count"),
            ("closed_at", D, "vote clos le"),
        ),
        dataset(
            "assembly-minutes",
            "Procès-verbaux publiés",
            dashboard_minutes,
            ("session_id", INT, "séance"),
            ("approved_at", D, "approuvé le"),
            ("published_at", D, "publié le"),
            ("body", S, "texte", dashboard_minutes_body),
        ),
    ]
}
