"""Suites drive their switches: `serviceMonitor.enabled` follows whether monitoring is installed.

Switching a suite off used to be two settings nobody linked: `suites: [base]` with
`serviceMonitor.enabled: true` rendered and validated, and the charts then created
ServiceMonitor objects whose CRD the environment does not install. The catalog's `switches:`
names, per global-values key, the kind its charts create; the kinds an environment installs
are the `provides` of its enabled releases (`capabilities.installed_apis`, the same list Helm
sees as `.Capabilities.APIVersions`). Then:

- a switch the environment does not set follows: on exactly when the kind is installed,
  recorded with the catalog line as its origin (`bkgen explain ENV global serviceMonitor`);
- a switch the environment sets to true while nothing installs the kind is an error naming
  both settings (the switch's file:line and the `suites` line of env.yaml);
- false is always allowed: an environment may install monitoring and not use it.

This module decides values only; it must not render or read files.
"""

from __future__ import annotations

from typing import Any

from bkgen.errors import Location, OverlayError
from bkgen.overlay.capabilities import installed_apis
from bkgen.overlay.catalog import Catalog
from bkgen.overlay.merge import KeyPath, Merged, Origin, lookup
from bkgen.overlay.settings import EnvSettings
from bkgen.overlay.waves import Plan


def apply_switches(catalog: Catalog, settings: EnvSettings, plan: Plan, merged: Merged) -> None:
    """Set unset switches from the suites; raise for a switch on whose kind is not installed."""
    installed = set(
        installed_apis(catalog, plan.releases, str(settings.secrets.get("backend", "")))
    )
    platform = catalog.source.rpartition("/")[0] + "/"  # overlays/base/ or overlays/platforms/<p>/
    for key, (kind, line) in sorted(catalog.switches.items()):
        path: KeyPath = tuple(key.split("."))
        origins = merged.provenance.get(path, [])
        set_by_env = [o for o in origins if not o.source.startswith(platform)]
        try:
            value = lookup(merged.values, path)
        except KeyError:
            value = None
        if set_by_env:
            if value is True and kind not in installed:
                raise _contradiction(catalog, settings, plan, key, kind, set_by_env[-1])
            continue
        on = kind in installed
        if value is not on and _set(merged.values, path, on):
            order = max((o.layer for o in origins), default=0) + 1
            merged.provenance.setdefault(path, []).append(Origin(catalog.source, line, order))


def _contradiction(
    catalog: Catalog, settings: EnvSettings, plan: Plan, key: str, kind: str, origin: Origin
) -> OverlayError:
    providers = sorted(n for n, r in catalog.releases.items() if kind in r.provides)
    suites_at = Location(f"overlays/{settings.name}/env.yaml", settings.lines.get("suites"))
    if providers:
        why = "; ".join(f"{n} is off ({plan.disabled.get(n, 'disabled')})" for n in providers)
        suites = sorted({catalog.releases[n].suite for n in providers})
        fix = (
            f"add {' or '.join(suites)} to suites at {suites_at}, or drop {key} "
            "from the env (it follows the suite)"
        )
    else:
        why = "no release in the catalog provides it"
        fix = f"set {key}: false"
    return OverlayError(
        f"{key} is true, but nothing in this environment installs {kind}: {why}; "
        f"the charts would create objects the cluster cannot accept",
        location=Location(origin.source, origin.line),
        hint=fix,
    )


def _set(values: dict[str, Any], path: KeyPath, value: bool) -> bool:
    """Set an existing switch; a switch the base values do not define is left alone."""
    node: Any = values
    for part in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return False
        node = node[part]
    if path[-1] not in node:
        return False
    node[path[-1]] = value
    return True
