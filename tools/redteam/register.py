"""The register and staff edits (findings 17.9, 17.10): a struck-off resident signs and votes no
more, a ladder of an open initiative does not move through the admin, and an admin edit of a
register entry leaves a fresh identity hash and an audit entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Target

SETUP = r"""
import json
from datetime import date
from django.utils import timezone
from civic.demo import DEFAULT_PASSWORD
from civic.identity import identity_hash
from civic.models import District, EntryKind, RegisterEntry, User, VerificationMethod
from civic.services.strike_offs import register_strike_off
from petitions.models import Initiative, InstrumentType, Status
from referendums.models import Campaign, CampaignStatus, ElectorateMember

campaign = Campaign.objects.filter(status=CampaignStatus.VOTING).order_by("pk").first()
claimed = User.objects.filter(register_entry__isnull=False).values("register_entry_id")
entry = (
    RegisterEntry.objects.filter(active=True, kind=EntryKind.ELECTOR)
    .filter(pk__in=ElectorateMember.objects.filter(campaign=campaign).values("register_entry_id"))
    .exclude(pk__in=claimed)
    .order_by("pk")
    .first()
)
struck = User.objects.create_user(
    email="redteam-struck@example.org",
    password=DEFAULT_PASSWORD,
    register_entry=entry,
    verified_at=timezone.now(),
    verification_method=VerificationMethod.MATCH,
)
register_strike_off(entry_id=entry.pk, actor=None, reason="left_roll", note="red team")

initiative = Initiative.objects.filter(status=Status.COLLECTING).order_by("pk").first()
instrument = InstrumentType.objects.get(pk=initiative.tracks.order_by("position").first().instrument_type_id)
form = {}
for f in ("slug", "name", "name_en", "description", "description_en", "legal_regime",
          "collectivity", "legal_basis", "predicate", "window_days", "min_promoters",
          "quarter_limit_rule", "retention_days"):
    form[f] = str(getattr(instrument, f))
for f in ("quarter_limit", "active"):
    if getattr(instrument, f):
        form[f] = "on"
rungs = list(instrument.rungs.order_by("order"))
form.update({"rungs-TOTAL_FORMS": str(len(rungs)), "rungs-INITIAL_FORMS": str(len(rungs)),
             "rungs-MIN_NUM_FORMS": "0", "rungs-MAX_NUM_FORMS": "1000"})
for i, r in enumerate(rungs):
    for f in ("order", "kind", "absolute_value", "numerator", "denominator", "obligation_kind",
              "obligation_text", "obligation_text_en", "due_days"):
        value = getattr(r, f)
        form[f"rungs-{i}-{f}"] = "" if value is None else str(value)
    form[f"rungs-{i}-id"] = str(r.pk)
    form[f"rungs-{i}-instrument_type"] = str(instrument.pk)

district = District.objects.order_by("pk").first()
edited = RegisterEntry.objects.create(
    ref="RT-REGISTER-1", kind=EntryKind.RESIDENT, last_name="Lambert", first_names="Odile",
    birth_date=date(1975, 3, 4), address="1 rue du Test", postcode="86000", district=district,
    identity_hash=identity_hash(last_name="Lambert", first_names="Odile", birth_date=date(1975, 3, 4)),
)
entry_form = {"ref": edited.ref, "kind": edited.kind, "last_name": "Lambert-Roy",
              "first_names": edited.first_names, "birth_date": "1975-03-04",
              "address": edited.address, "postcode": edited.postcode,
              "district": str(district.pk), "roll_number": ""}
print(json.dumps({
    "email": struck.email, "password": DEFAULT_PASSWORD, "entry_id": entry.pk,
    "initiative_id": initiative.pk, "campaign_id": campaign.pk,
    "question_id": str(campaign.questions.order_by("pk").first().pk),
    "instrument_id": instrument.pk, "rung_id": rungs[0].pk,
    "rung_value": rungs[0].absolute_value, "instrument_form": form,
    "edited_id": edited.pk, "entry_form": entry_form,
    "expected_hash": identity_hash(last_name="Lambert-Roy", first_names="Odile", birth_date=date(1975, 3, 4)),
    "password_staff": DEFAULT_PASSWORD,
}))
"""


def _facts(target: Target) -> dict[str, Any]:
    return target.facts["register"]


def _token(target: Target) -> str:
    facts = _facts(target)
    answer = target.http(
        "POST", "/api/v1/auth/token/", {"email": facts["email"], "password": facts["password"]}
    )
    token = answer.json().get("token") if answer.status == 200 else None
    if not token:
        raise AssertionError(f"no token for the struck-off resident: {answer.status}")
    return str(token)


def _struck_off_signs(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    answer = target.http(
        "POST", f"/api/v1/initiatives/{facts['initiative_id']}/signatures/", token=_token(target)
    )
    rows = target.sql(
        "SELECT count(*) FROM petitions_signature WHERE register_entry_id = %s",
        (facts["entry_id"],),
    )[0][0]
    code = answer.json().get("code") if answer.status < 500 else None
    held = answer.status == 403 and rows == 0
    return held, f"POST signatures as a struck-off elector: {answer.status} {code}, {rows} rows"


def _struck_off_votes(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    answer = target.http(
        "POST",
        f"/api/v1/referendums/{facts['campaign_id']}/ballots/",
        {"choices": {facts["question_id"]: "yes"}},
        token=_token(target),
    )
    rows = target.sql(
        "SELECT count(*) FROM referendums_participation WHERE register_entry_id = %s",
        (facts["entry_id"],),
    )[0][0]
    code = answer.json().get("code") if answer.status < 500 else None
    held = answer.status in {403, 404} and rows == 0
    return held, f"POST ballots as a struck-off elector: {answer.status} {code}, {rows} rows"


def _open_ladder_moves(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    browser = target.browser()
    browser.login("moderator@example.org", facts["password_staff"])
    path = f"/admin/petitions/instrumenttype/{facts['instrument_id']}/change/"
    reached = browser.request("GET", path).status  # 200: the moderator is in the admin page
    form = dict(facts["instrument_form"])
    form["rungs-0-absolute_value"] = "1"
    answer = browser.post_form(path, form)
    value = target.sql(
        "SELECT absolute_value FROM petitions_rung WHERE id = %s", (facts["rung_id"],)
    )[0][0]
    held = reached == 200 and answer.status < 500 and value == facts["rung_value"]
    return held, (
        f"admin page {reached}; POST lowering a rung of an open initiative to 1: "
        f"{answer.status}, rung {value}"
    )


def _entry_edit_rehashes(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    browser = target.browser()
    browser.login("admin@example.org", facts["password_staff"])
    path = f"/admin/civic/registerentry/{facts['edited_id']}/change/"
    answer = browser.post_form(path, facts["entry_form"])
    stored = target.sql(
        "SELECT last_name, identity_hash FROM civic_registerentry WHERE id = %s",
        (facts["edited_id"],),
    )[0]
    audited = target.sql(
        "SELECT count(*) FROM civic_auditentry WHERE verb = 'register.entry_change' "
        "AND target_type = 'civic.registerentry' AND target_id = %s",
        (str(facts["edited_id"]),),
    )[0][0]
    held = stored[0] == "Lambert-Roy" and stored[1] == facts["expected_hash"] and audited == 1
    fresh = "fresh" if stored[1] == facts["expected_hash"] else "STALE"
    return held, (
        f"admin edit of a register entry: {answer.status}, name {stored[0]}, "
        f"identity hash {fresh}, {audited} audit entry"
    )


def attacks() -> list[Attack]:
    return [
        Attack("17.9", "a struck-off resident cannot sign over HTTP", _struck_off_signs),
        Attack("17.9", "a struck-off resident cannot vote over HTTP", _struck_off_votes),
        Attack(
            "17.10",
            "an admin POST cannot move the ladder of an open initiative",
            _open_ladder_moves,
        ),
        Attack(
            "17.10",
            "an admin edit of a register entry rehashes the identity and is audited",
            _entry_edit_rehashes,
        ),
    ]
