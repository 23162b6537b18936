"""Deploy checks of the assembly: the drand relays the draw reads its public seed from."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


def check_drand_relays(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    """The draw trusts a round only when every relay serves the same one: one relay is trusted
    alone, and a relay over plain HTTP can be impersonated on the way."""
    relays = list(settings.ASSEMBLY_DRAND_RELAYS)
    found: list[checks.CheckMessage] = []
    if len(relays) < 2:
        found.append(
            checks.Warning(
                f"ASSEMBLY_DRAND_RELAYS lists {len(relays)} relay(s): the draw's seed then rests "
                "on a single relay's word.",
                hint="List at least two independent drand relays (api.drand.sh, "
                "drand.cloudflare.com, ...).",
                id="civic.W070",
            )
        )
    plain = [relay for relay in relays if urlsplit(relay).scheme != "https"]
    if plain:
        found.append(
            checks.Warning(
                "ASSEMBLY_DRAND_RELAYS holds relays not reached over HTTPS: " + ", ".join(plain),
                hint="Use the relays' https:// addresses.",
                id="civic.W071",
            )
        )
    return found
