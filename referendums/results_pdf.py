"""A vote's published results as a PDF (civic/pdf.py): what the results page shows, in its words
and order: the outcome sentence first, then the figures, then the tables by polling station or
district. It reads the page's own data (`selectors.results_for_page`), so a district cell the page
masks (the small-cell rule) is masked here too, with the same explanation: never a figure more
than the page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic.pdf import Block, Document, Heading, Paragraph, Table, absolute
from referendums.models import Campaign, CampaignKind


def _n(value: Any) -> str:
    return str(localize(value))


def results_document(campaign: Campaign, results: dict[str, Any]) -> Document:
    if results.get("method") == "paper":
        blocks = _paper(campaign, results)
    else:
        blocks = _online(campaign, results)
    return Document(
        title=_("Résultats : %(title)s") % {"title": campaign.title},
        page_url=absolute(reverse("referendums:results", args=[campaign.pk])),
        filename=_("resultats-%(id)s.pdf") % {"id": campaign.pk},
        blocks=tuple(blocks),
    )


def _votes(percent: Any, count: int) -> str:
    return ngettext("%(p)s %% (%(n)s voix)", "%(p)s %% (%(n)s voix)", count) % {
        "p": _n(percent),
        "n": _n(count),
    }


def _paper_verdict(r: dict[str, Any]) -> list[Block]:
    y, t = _n(r.get("yes_percent")), _n(r.get("turnout_percent"))
    verdict = r.get("verdict")
    if not verdict:
        text = _(
            "Consultation pour avis : le oui obtient %(y)s %% des suffrages exprimés. Le conseil municipal décide librement."
        ) % {"y": y}
        return [Paragraph(text, bold=True)]
    if verdict.get("adopted"):
        text = _(
            "Le projet est adopté : %(y)s %% de oui, avec une participation de %(t)s %% (CGCT LO1112-7)."
        ) % {"y": y, "t": t}
        return [Paragraph(text, bold=True)]
    if "quorum_not_reached" in verdict.get("reasons", []):
        text = _(
            "Le référendum n'est pas valable : seuls %(t)s %% des électeurs inscrits ont voté, moins de la moitié exigée par la loi (CGCT LO1112-7). Son résultat ne s'impose pas au conseil municipal."
        ) % {"t": t}
        more = _("Pour information, le oui a obtenu %(y)s %% des suffrages exprimés.") % {"y": y}
        return [Paragraph(text, bold=True), Paragraph(more)]
    text = _(
        "Le projet n'est pas adopté : le oui n'a pas la majorité des suffrages exprimés (%(y)s %%) (CGCT LO1112-7)."
    ) % {"y": y}
    return [Paragraph(text, bold=True)]


def _paper(campaign: Campaign, r: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [Heading(_("Le résultat")), *_paper_verdict(r)]
    blocks.append(
        Paragraph(
            _("Inscrits : %(r)s · Votants : %(v)s (%(t)s %%)")
            % {"r": _n(r["registered"]), "v": _n(r["voters"]), "t": _n(r["turnout_percent"])}
        )
    )
    if r.get("challenge_deadline"):
        blocks.append(
            Paragraph(
                _("Recours possible jusqu'au %(d)s (CGCT LO1112-14).")
                % {"d": _n(r["challenge_deadline"])}
            )
        )
    blocks += [
        Heading(_("Répartition des suffrages exprimés")),
        Paragraph(
            f"{_('Oui')} : {_votes(r['yes_percent'], r['yes'])}\n"
            f"{_('Non')} : {_votes(r['no_percent'], r['no'])}"
        ),
        Paragraph(
            _(
                "Bulletins blancs : %(b)s · nuls : %(n)s (ils ne comptent pas dans les suffrages exprimés)."
            )
            % {"b": _n(r["blank"]), "n": _n(r["null"])},
            small=True,
        ),
        Table(
            caption=_("Par bureau de vote"),
            headings=(
                _("Bureau"),
                _("Inscrits"),
                _("Votants"),
                _("Oui"),
                _("Non"),
                _("Blancs"),
                _("Nuls"),
            ),
            rows=tuple(_station_row(s) for s in r.get("stations", [])),
            widths=(6, 2, 2, 2, 2, 2, 2),
        ),
        Table(
            caption=_("Par quartier"),
            headings=(_("Quartier"), _("Inscrits"), _("Votants"), _("Oui"), _("Non")),
            rows=tuple(
                (
                    str(d["name"]),
                    *(_n(d[k]) for k in ("registered", "voters", "yes", "no")),
                )
                for d in r.get("districts", [])
            ),
            widths=(6, 2, 2, 2, 2),
        ),
    ]
    return blocks


def _station_row(s: dict[str, Any]) -> tuple[str, ...]:
    name = str(s["name"])
    if s.get("registered_note"):
        name += "\n" + _(
            "Le procès-verbal indique %(n)s inscrits ; le corps électoral figé fait foi."
        ) % {"n": _n(s.get("registered_on_minutes"))}
        name += " " + _("Motif de l'écart :") + " " + str(s["registered_note"])
    return (name, *(_n(s[k]) for k in ("registered", "voters", "yes", "no", "blank", "null")))


def _question_outcome(r: dict[str, Any], q: dict[str, Any]) -> str:
    parts = []
    if len(r.get("questions", [])) > 1:
        parts.append(f"{q['text']} — ")
    verdict = q.get("verdict")
    if verdict:
        if verdict.get("adopted"):
            parts.append(_("Adopté."))
        elif "quorum_not_reached" in verdict.get("reasons", []):
            parts.append(
                _(
                    "Pas valable : la participation (%(t)s %%) n'atteint pas le minimum de %(min)s %% des inscrits."
                )
                % {"t": _n(r.get("turnout_percent")), "min": _n(r.get("quorum_percent"))}
            )
        else:
            parts.append(_("Rejeté : le oui n'a pas obtenu la majorité."))
        parts.append(" ")
    leader = q.get("leader")
    if leader:
        parts.append(
            _("« %(label)s » arrive en tête avec %(p)s %% des voix.")
            % {"label": leader["label"], "p": _n(leader["percent"])}
        )
    elif q.get("total"):
        parts.append(_("Les réponses arrivent à égalité."))
    else:
        parts.append(_("Aucune voix."))
    return "".join(parts)


def _online(campaign: Campaign, r: dict[str, Any]) -> list[Block]:
    questions = r.get("questions", [])
    blocks: list[Block] = [Heading(_("Le résultat"))]
    blocks += [Paragraph(_question_outcome(r, q), bold=True) for q in questions]
    if campaign.kind == CampaignKind.ADVISORY_CONSULTATION or r.get("majority_rule") == "none":
        blocks.append(
            Paragraph(_("Consultation pour avis : le conseil municipal décide librement."))
        )
    p = r.get("participations") or 0
    blocks.append(
        Paragraph(
            ngettext(
                "Participation : %(p)s votant sur %(e)s électeurs (%(t)s %%).",
                "Participation : %(p)s votants sur %(e)s électeurs (%(t)s %%).",
                p,
            )
            % {"p": _n(p), "e": _n(r.get("electorate")), "t": _n(r.get("turnout_percent"))}
        )
    )
    for q in questions:
        blocks.append(Heading(q["text"]))
        blocks.append(
            Paragraph(
                "\n".join(
                    f"{o['label']} : {_votes(o['percent'], o['count'])}" for o in q["options"]
                )
            )
        )
    blocks.append(Heading(_("Par quartier")))
    if r.get("any_suppressed"):
        blocks.append(
            Paragraph(
                _(
                    "Pour protéger le secret du vote, un nombre de voix inférieur à %(n)s n'est pas publié, ni les cases qui permettraient de le retrouver par soustraction : elles sont marquées « masqué ». Les quartiers trop petits sont regroupés."
                )
                % {"n": _n(r.get("small_cell_threshold"))},
                small=True,
            )
        )
    for d in r.get("districts", []):
        caption = _("Autres quartiers (regroupés)") if d.get("code") == "_other" else d["name"]
        rows = tuple(
            (
                str(q["text"]),
                str(o["label"]),
                _("masqué") if o.get("suppressed") else _n(o["count"]),
            )
            for q in d.get("questions", [])
            for o in q.get("options", [])
        )
        blocks.append(
            Table(
                caption=str(caption),
                headings=(_("Question"), _("Réponse"), _("Voix")),
                rows=rows,
                widths=(6, 4, 2),
            )
        )
    blocks.append(
        Paragraph(
            _("Empreinte de l'urne publiée (SHA-256) :") + " " + str(r.get("results_digest", "")),
            small=True,
        )
    )
    return blocks
