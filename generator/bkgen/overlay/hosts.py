"""Every BlueKing domain of an environment, as /etc/hosts lines and CoreDNS `hosts` entries.

The runbook resolves all BlueKing names to the ingress controller: on desktops
through /etc/hosts, inside the cluster through CoreDNS (`control_coredns.sh
update "$IP1" ...`). The names come from the `domains` of enabled releases,
plus `domain.extraSubdomains` for names the runbook lists but this catalog does
not deploy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bkgen.errors import Location, OverlayError
from bkgen.overlay.load import Environment

INGRESS_IP_PLACEHOLDER = "$IP1"


@dataclass(frozen=True)
class Host:
    name: str
    release: str  # the release serving it, or "extra"


def hosts(env: Environment) -> list[Host]:
    """In catalog order (the runbook's order), the main site domain first, no duplicates."""
    domain = env.values.values.get("domain")
    if not isinstance(domain, dict) or "bkDomain" not in domain:
        # A platform of its own (docs/platforms.md) need not serve BlueKing's names.
        raise OverlayError(
            "this platform's values define no domain.bkDomain, so it serves no names to list",
            location=Location(env.shown(env.base_dir / "values.yaml")),
            hint="hosts and CoreDNS lines come from domain.bkDomain and the releases' domains",
        )
    base = str(domain["bkDomain"])
    seen: dict[str, Host] = {}

    def add(name: str, release: str) -> None:
        seen.setdefault(name, Host(name, release))

    add(str(domain.get("bkMainSiteDomain", base)), "bk-console")
    enabled = {r.name for r in env.plan.releases}
    for release in env.catalog.releases.values():
        if release.name not in enabled:
            continue
        for sub in release.domains:
            add(base if sub == "@" else f"{sub}.{base}", release.name)
    for sub in domain.get("extraSubdomains", []) or []:
        add(f"{sub}.{base}", "extra")
    return list(seen.values())


def etc_hosts(items: Sequence[Host], ip: str = INGRESS_IP_PLACEHOLDER) -> str:
    return "".join(f"{ip} {h.name}\n" for h in items)


def coredns_block(items: Sequence[Host], ip: str = INGRESS_IP_PLACEHOLDER) -> str:
    """The `hosts` plugin stanza control_coredns.sh maintains in the Corefile."""
    lines = ["hosts {"]
    lines += [f"    {ip} {h.name}" for h in items]
    lines += ["    fallthrough", "}"]
    return "\n".join(lines) + "\n"
