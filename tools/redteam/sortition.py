"""Finding 17.8: the sortition's seed. A clerk tries to draw with a seed of their choosing (the
desk's form and the API with a `seed` field), to draw again with another seed, and to rewrite the
seed as the application's database role; an invitation batch's seed is rewritten after its
commitment. Every attempt must leave the seed the public round's randomness.

The target cannot reach the League of Entropy: its draws wait for the relays (409
`beacon_unavailable`), which is the point. The drawn mandate of `SETUP` was drawn in-process
with a stand-in round (`assembly.demo.demo_round`).
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Browser, Target

SETUP = r"""
import json, secrets, time
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone
from assembly.demo import demo_round
from assembly.models import FeatureKind, Invitation, Mandate
from assembly.services import commitment, composition, draw, recruitment
from civic.models import District, User
from civic.roles import roles_sync

roles_sync()
password = secrets.token_urlsafe(16)
clerk = User.objects.create_user(email="redteam-clerk@example.org", password=password)
clerk.is_staff = True
clerk.save()
clerk.groups.add(Group.objects.get(name="assembly_clerk"))
from allauth.mfa.models import Authenticator as _A; from allauth.mfa.totp.internal.auth import TOTP as _T; _A.objects.filter(user=clerk, type="totp").exists() or _T.activate(clerk, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
EmailAddress.objects.create(user=clerk, email=clerk.email, verified=True, primary=True)
districts = list(District.objects.order_by("code"))
today = timezone.localdate()

def mandate(title, commit=True):
    m = Mandate.objects.create(
        title=title, size=2, reserve_size=1,
        starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=400),
    )
    composition.feature_add(
        mandate_id=m.pk, actor=clerk, key="quartier", label="Quartier", kind=FeatureKind.DISTRICT,
        quotas=[(d.code, d.name, 0, 2) for d in districts],
    )
    composition.mandate_open_recruitment(mandate_id=m.pk, actor=clerk)
    if not commit:
        return m, None, 0
    batch = recruitment.invitations_commit(mandate_id=m.pk, actor=clerk, count=60)
    recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)
    signed = 0
    for invitation in Invitation.objects.filter(mandate=m).order_by("id"):
        try:
            recruitment.volunteer_signup(
                token=recruitment.invitation_token(invitation), declared={}, consent=True
            )
            signed += 1
        except Exception:
            pass
    c = commitment.commitment_publish(
        mandate_id=m.pk, actor=clerk, seed_expected_at=timezone.now() + timedelta(seconds=1)
    )
    return m, c, signed

waiting, waiting_c, _ = mandate("Red team: committed, round due")
drawn, drawn_c, _ = mandate("Red team: drawn")
time.sleep(max(0.0, (drawn_c.seed_expected_at - timezone.now()).total_seconds()) + 0.2)
drawn_c = draw.draw_run(mandate_id=drawn.pk, actor=clerk, fetch=demo_round)
pending = mandate("Red team: invitations", commit=False)[0]
batch = recruitment.invitations_commit(mandate_id=pending.pk, actor=clerk, count=5)
print(json.dumps({
    "clerk": clerk.email, "password": password,
    "waiting": waiting.pk, "drawn": drawn.pk, "drawn_seed": drawn_c.seed,
    "batch": batch.pk, "batch_digest": batch.seed_digest,
}))
"""

CHOSEN = "4 8 15 16 23 42"


def _clerk(target: Target) -> tuple[Browser, dict[str, Any]]:
    facts = target.facts["sortition"]
    browser = target.browser()
    browser.login(facts["clerk"], facts["password"])
    return browser, facts


def _seed_of(target: Target, mandate: int) -> str:
    rows = target.sql("SELECT seed FROM assembly_drawcommitment WHERE mandate_id = %s", (mandate,))
    return str(rows[0][0]) if rows else ""


def _desk_draw_with_a_chosen_seed(target: Target) -> tuple[bool, str]:
    browser, facts = _clerk(target)
    desk = f"/assembly/greffe/{facts['waiting']}/"
    page = browser.request("GET", desk)
    if page.status != 200:
        return False, f"the clerk's desk answered {page.status}: the attack did not run"
    has_field = 'name="seed"' in page.text
    time.sleep(1)  # the named round is due by now
    answer = browser.post_form(desk, {"action": "draw", "seed": CHOSEN})
    seed = _seed_of(target, facts["waiting"])
    held = not has_field and seed != CHOSEN and answer.status < 500
    return held, f"seed field on the desk: {has_field}; POST {answer.status}; seed now {seed!r}"


def _api_draw_with_a_chosen_seed(target: Target) -> tuple[bool, str]:
    browser, facts = _clerk(target)
    csrf = browser.csrf(f"/assembly/greffe/{facts['waiting']}/")
    answer = browser.request(
        "POST",
        f"/api/v1/assemblies/{facts['waiting']}/draw/run/",
        {"seed": CHOSEN},
        X_CSRFToken=csrf,
    )
    code = answer.json().get("code") if answer.status < 500 else None
    seed = _seed_of(target, facts["waiting"])
    held = answer.status == 400 and code == "seed_not_accepted" and seed != CHOSEN
    return held, f"POST draw/run with a seed: {answer.status} {code}; seed now {seed!r}"


def _redraw_with_another_seed(target: Target) -> tuple[bool, str]:
    browser, facts = _clerk(target)
    desk = f"/assembly/greffe/{facts['drawn']}/"
    form = browser.post_form(desk, {"action": "draw", "seed": CHOSEN})
    csrf = browser.csrf(desk)
    api = browser.request(
        "POST", f"/api/v1/assemblies/{facts['drawn']}/draw/run/", {}, X_CSRFToken=csrf
    )
    seed = _seed_of(target, facts["drawn"])
    held = seed == facts["drawn_seed"] and api.status == 409 and form.status < 500
    return (
        held,
        f"desk {form.status}, API {api.status}; seed unchanged: {seed == facts['drawn_seed']}",
    )


def _rewrite_the_seed_in_the_database(target: Target) -> tuple[bool, str]:
    facts = target.facts["sortition"]
    other = hashlib.sha256(b"chosen").hexdigest()
    attempts = {
        "seed": ("UPDATE assembly_drawcommitment SET seed = %s WHERE mandate_id = %s", other),
        "round": (
            "UPDATE assembly_drawcommitment SET beacon_round = beacon_round + 1 "
            "WHERE mandate_id = %s AND %s <> ''",
            "x",
        ),
    }
    refused = []
    for name, (query, value) in attempts.items():
        params = (value, facts["drawn"]) if name == "seed" else (facts["drawn"], value)
        try:
            target.sql(query, params)
        except Exception as exc:  # the trigger's refusal (or no privilege): held
            refused.append(f"{name}: {type(exc).__name__}")
        else:
            refused.append(f"{name}: ACCEPTED")
    try:
        target.sql("DELETE FROM assembly_drawcommitment WHERE mandate_id = %s", (facts["drawn"],))
        refused.append("delete: ACCEPTED")
    except Exception as exc:
        refused.append(f"delete: {type(exc).__name__}")
    seed = _seed_of(target, facts["drawn"])
    held = seed == facts["drawn_seed"] and not any("ACCEPTED" in r for r in refused)
    return held, "; ".join(refused)


def _rewrite_an_invitation_seed(target: Target) -> tuple[bool, str]:
    facts = target.facts["sortition"]
    try:
        target.sql(
            "UPDATE assembly_invitationbatch SET seed = 'chosen', "
            "seed_digest = encode(sha256('chosen'::bytea), 'hex') WHERE id = %s",
            (facts["batch"],),
        )
    except Exception as exc:
        detail = f"refused ({type(exc).__name__})"
    else:
        detail = "ACCEPTED"
    rows = target.sql(
        "SELECT seed_digest FROM assembly_invitationbatch WHERE id = %s", (facts["batch"],)
    )
    held = detail != "ACCEPTED" and rows[0][0] == facts["batch_digest"]
    return held, f"rewrite of a committed batch's seed: {detail}"


def attacks() -> list[Attack]:
    return [
        Attack("17.8", "the desk draws with no seed a clerk chose", _desk_draw_with_a_chosen_seed),
        Attack("17.8", "the API refuses a seed in the draw", _api_draw_with_a_chosen_seed),
        Attack("17.8", "a drawn mandate is not drawn again", _redraw_with_another_seed),
        Attack(
            "17.8", "the app's role cannot rewrite a draw's seed", _rewrite_the_seed_in_the_database
        ),
        Attack(
            "17.8", "a committed invitation seed cannot be swapped", _rewrite_an_invitation_seed
        ),
    ]
