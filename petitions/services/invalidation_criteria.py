"""The criteria of an invalidation: checked, normalised, then turned into a filter on signatures.

Patterns (name, e-mail, domain) take `%` as the wildcard, as on the UK Parliament petitions site,
and match without regard to case. E-mail addresses are compared normalised on both sides: lower
case, the `+tag` and the dots of the local part removed (`Jean.Dupont+x@Mail.org` is
`jeandupont@mail.org`), so one mailbox written several ways is caught by one criterion. An address
criterion is one address or a range in CIDR notation (IPv4 or IPv6). A paper batch is the paper
signatures one agent entered (`entered_by`), narrowed by the instants (`created_after/before`): an
import stamps all its rows with one instant.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any

from django.db.models import CharField, F, Func, Q, Value
from django.db.models.functions import Concat, Lower
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.utils.translation import gettext as _

from civic.errors import DomainError
from civic.models import District
from petitions.models import Channel

PATTERNS = ("name", "email", "domain")
KEYS = (
    *PATTERNS,
    "ip",
    "district",
    "created_after",
    "created_before",
    "channel",
    "entered_by",
    "register_entry_ids",
)
MAX_IDS = 10_000


def _bad(message: str, code: str) -> DomainError:
    return DomainError(message, code=code, status=400)


def normalise_email(value: str) -> str:
    """The normal form of an address or address pattern (see the module's docstring)."""
    local, at, domain = value.strip().lower().partition("@")
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}{at}{domain}"


def _pattern(value: Any, key: str) -> str:
    text = str(value or "").strip()
    if not text or len(text) > 254 or text.replace("%", "") == "":
        raise _bad(
            _("Le motif « %(key)s » est vide ou ne contient que des jokers.") % {"key": key},
            "criteria_invalid_pattern",
        )
    return text.lower()


def _ip(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise _bad(
            _("Adresse IP ou plage (notation CIDR, ex. 203.0.113.0/24) mal formée."),
            "criteria_invalid_ip_range",
        ) from None


def _instant(value: Any) -> str:
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
    if parsed is None:
        raise _bad(_("Date et heure mal formées."), "criteria_invalid_date")
    return (make_aware(parsed) if is_naive(parsed) else parsed).isoformat()


def _ids(value: Any) -> list[int]:
    try:
        ids = sorted({int(v) for v in value})
    except (TypeError, ValueError):
        raise _bad(
            _("La liste des inscriptions doit contenir des nombres."), "criteria_invalid_ids"
        ) from None
    if not ids or len(ids) > MAX_IDS or ids[0] < 1:
        raise _bad(_("La liste des inscriptions est vide ou trop longue."), "criteria_invalid_ids")
    return ids


def _one(key: str, value: Any) -> Any:
    if key in PATTERNS:
        text = _pattern(value, key)
        return normalise_email(text) if key == "email" else text
    if key == "ip":
        return _ip(value)
    if key in ("created_after", "created_before"):
        return _instant(value)
    if key == "district":
        code = str(value).strip()
        if not District.objects.filter(code=code).exists():
            raise _bad(_("Quartier inconnu."), "criteria_unknown_district")
        return code
    if key == "channel":
        if value not in Channel.values:
            raise _bad(_("Canal inconnu."), "criteria_invalid_channel")
        return value
    if key == "entered_by":
        return _ids([value])[0]
    return _ids(value)


def criteria_clean(raw: dict[str, Any]) -> dict[str, Any]:
    """Checked, normalised criteria (empty values dropped). At least one criterion; an unknown
    key, a malformed value or an empty window is a 400 with a stable code."""
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise _bad(
            _("Critère inconnu : %(keys)s.") % {"keys": ", ".join(unknown)}, "criteria_unknown"
        )
    given = {k: v for k, v in raw.items() if v not in (None, "", [], ())}
    if not given:
        raise _bad(_("Donnez au moins un critère."), "criteria_missing")
    cleaned = {k: _one(k, given[k]) for k in KEYS if k in given}
    after, before = cleaned.get("created_after"), cleaned.get("created_before")
    if after and before and datetime.fromisoformat(after) >= datetime.fromisoformat(before):
        raise _bad(
            _("La période est vide : « après » doit précéder « avant »."), "criteria_invalid_date"
        )
    return cleaned


def _like(pattern: str) -> str:
    """A `%` pattern as an anchored regular expression (everything else literal)."""
    return "^" + ".*".join(re.escape(part) for part in pattern.split("%")) + "$"


def _normalised_email_sql(field: str) -> Func:
    local = Func(F(field), Value("@"), Value(1), function="split_part", output_field=CharField())
    local = Func(
        local, Value(r"\+.*$"), Value(""), function="regexp_replace", output_field=CharField()
    )
    local = Func(
        local,
        Value(r"\."),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=CharField(),
    )
    domain = Func(F(field), Value("@"), Value(2), function="split_part", output_field=CharField())
    return Lower(Concat(local, Value("@"), domain, output_field=CharField()))


def criteria_annotations(criteria: dict[str, Any]) -> dict[str, Any]:
    """The computed columns the filter needs (full name, normalised e-mail, domain)."""
    wanted: dict[str, Any] = {}
    if "name" in criteria:
        wanted["_full_name"] = Concat(
            "register_entry__first_names",
            Value(" "),
            "register_entry__last_name",
            output_field=CharField(),
        )
    if "email" in criteria:
        wanted["_email"] = _normalised_email_sql("register_entry__account__email")
    if "domain" in criteria:
        wanted["_domain"] = Lower(
            Func(
                F("register_entry__account__email"),
                Value("@"),
                Value(2),
                function="split_part",
                output_field=CharField(),
            )
        )
    return wanted


def criteria_q(criteria: dict[str, Any]) -> Q:
    """Every criterion must hold (AND); over the annotations of `criteria_annotations`."""
    q = Q()
    for key, column in (("name", "_full_name"), ("email", "_email"), ("domain", "_domain")):
        if key in criteria:
            q &= Q(**{f"{column}__iregex": _like(criteria[key])})
    if "ip" in criteria:
        q &= Q(ip__inet_within=criteria["ip"])
    if "district" in criteria:
        q &= Q(district__code=criteria["district"])
    if "created_after" in criteria:
        q &= Q(created_at__gte=datetime.fromisoformat(criteria["created_after"]))
    if "created_before" in criteria:
        q &= Q(created_at__lt=datetime.fromisoformat(criteria["created_before"]))
    if "channel" in criteria:
        q &= Q(channel=criteria["channel"])
    if "entered_by" in criteria:
        q &= Q(entered_by_id=criteria["entered_by"])
    if "register_entry_ids" in criteria:
        q &= Q(register_entry_id__in=criteria["register_entry_ids"])
    return q
