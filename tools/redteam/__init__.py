"""Attacks of the red-team run (`tools/redteam.py`), one module per area of the threat model.

Each module defines:

- `SETUP`: Django code run once by `manage.py shell -c` on the target's database after the demo
  city is seeded; its last printed line is a JSON object, handed back as `target.facts[<module>]`;
- `attacks()`: the attacks, each an `Attack(finding, title, run)` where `run(target)` tries the
  attack over HTTP (or as the application's database role) and returns `(held, detail)`.

An attack never changes what another module's attack relies on: each module creates its own
accounts and objects in `SETUP`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.redteam.target import Target


@dataclass(frozen=True)
class Attack:
    finding: str  # the finding of the threat model it tries, for example "17.1"
    title: str  # what must hold, in a few words
    run: Callable[[Target], tuple[bool, str]]


# The modules the run loads, in order. A new area adds its module here.
MODULES = (
    "tools.redteam.smoke",
    "tools.redteam.accounts",  # 17.1, 17.2, 17.12 (e-mail oracle, API lockout)
    "tools.redteam.secrecy",  # 17.4, 17.5, 17.12 (sealing vacuum)
    "tools.redteam.audit",  # 17.6, 17.7
    "tools.redteam.votes",  # 17.3, 17.11, 17.12 (admin deletes), 17.13
    "tools.redteam.sortition",  # 17.8
    "tools.redteam.register",  # 17.9, 17.10
    "tools.redteam.web",  # 17.12 (webhooks, JSON, proxies), 17.13
)
