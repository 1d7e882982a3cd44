"""BCS variables: the three scopes, the system variables, and `{{KEY}}` substitution.

BCS resolves a variable of an instance by scope, narrowest first: the namespace
(the instance's values), the cluster, the project ("global"), then the default
the template set declares. System variables come from the environment, never
from a person typing them per namespace:

    SYS_PROJECT_ID, SYS_CC_APP_ID     global     bcs.yaml project.id / project.ccAppId
    SYS_CLUSTER_ID, SYS_JFROG_DOMAIN  cluster    bcs.yaml cluster.id / cluster.jfrogDomain
                                                 (default: the host of imageRegistry)
    SYS_NAMESPACE                     namespace  the instance's namespace

`SYS_STANDARD_DATA_ID` / `SYS_NON_STANDARD_DATA_ID` (log collection data ids)
are namespace variables like any user variable.

Substitution is BCS's, not jinja2's: only `{{KEY}}` (spaces allowed) is a
variable and it is replaced by text; anything else between braces (Go templates
in a ConfigMap, `{{ .Values.x }}`) is the user's and stays as written. Nothing
is evaluated, so there is nothing to sandbox; an unknown key is an error, like
`StrictUndefined`. This module knows nothing of files on disk or of rendering.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bkgen.errors import Location, OverlayError, TemplateError
from bkgen.overlay.merge import Merged
from bkgen.overlay.templatesets import BcsSettings, Instance, Setting, TemplateSet

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

# key -> (scope, where it is set)
SYSTEM: dict[str, tuple[str, str]] = {
    "SYS_PROJECT_ID": ("global", "project.id in bcs.yaml"),
    "SYS_CC_APP_ID": ("global", "project.ccAppId in bcs.yaml"),
    "SYS_CLUSTER_ID": ("cluster", "cluster.id in bcs.yaml"),
    "SYS_JFROG_DOMAIN": ("cluster", "cluster.jfrogDomain in bcs.yaml, or imageRegistry"),
    "SYS_NAMESPACE": ("namespace", "the instance's namespace"),
}
LOG_DATA_IDS = ("SYS_STANDARD_DATA_ID", "SYS_NON_STANDARD_DATA_ID")


@dataclass(frozen=True)
class Resolved:
    """The value of one variable in one instance and every layer that offered one."""

    key: str
    value: Any
    scope: str  # the scope that won: default, global, cluster or namespace
    chain: tuple[tuple[str, Setting], ...]  # (scope, setting), lowest precedence first


def registry_setting(values: Merged) -> Setting:
    """`imageRegistry` and the file:line that set it (SYS_JFROG_DOMAIN's fallback)."""
    chain = values.chain(("imageRegistry",))
    origin = chain[-1][1] if chain else None
    return Setting(
        str(values.values.get("imageRegistry", "hub.bktencent.com")),
        origin.source if origin else "overlays/base/values.yaml",
        origin.line if origin else None,
    )


def registry_host(image_registry: str) -> str:
    return image_registry.split("/", 1)[0]


def system_settings(
    bcs: BcsSettings | None, registry: Setting, namespace: Setting
) -> dict[str, tuple[str, Setting]]:
    """System variables with a value in this environment: key -> (scope, setting)."""
    found: dict[str, tuple[str, Setting]] = {"SYS_NAMESPACE": ("namespace", namespace)}
    jfrog = (bcs.jfrog_domain if bcs else None) or Setting(
        registry_host(str(registry.value)), registry.source, registry.line
    )
    found["SYS_JFROG_DOMAIN"] = ("cluster", jfrog)
    if bcs is not None:
        for key, setting in (
            ("SYS_PROJECT_ID", bcs.project_id),
            ("SYS_CC_APP_ID", bcs.cc_app_id),
            ("SYS_CLUSTER_ID", bcs.cluster_id),
        ):
            if setting is not None:
                found[key] = (SYSTEM[key][0], setting)
    return found


def _refuse_system(values: Mapping[str, Setting], where: str) -> None:
    for key, setting in values.items():
        if key in SYSTEM:
            raise OverlayError(
                f"{key} is a system variable and cannot be set in {where}",
                location=Location(setting.source, setting.line),
                hint=f"it comes from {SYSTEM[key][1]}",
            )


def resolve(
    tset: TemplateSet,
    instance: Instance,
    bcs: BcsSettings | None,
    registry: Setting,
) -> dict[str, Resolved]:
    """Every variable that has a value in `instance`, with its provenance chain."""
    if bcs is not None:
        _refuse_system(bcs.global_values, "project.variables")
        _refuse_system(bcs.cluster_values, "cluster.variables")
    _refuse_system(instance.values, f"instance '{instance.namespace}'")
    layers: dict[str, list[tuple[str, Setting]]] = {}
    for key, var in sorted(tset.variables.items()):
        if var.default is not None:
            layers.setdefault(key, []).append(("default", var.default))
    namespace = Setting(instance.namespace, tset.source, instance.line)
    system = system_settings(bcs, registry, namespace)
    for scope in ("global", "cluster", "namespace"):
        offered: dict[str, Setting] = {}
        offered.update({k: s for k, (sc, s) in system.items() if sc == scope})
        if bcs is not None and scope == "global":
            offered.update(bcs.global_values)
        if bcs is not None and scope == "cluster":
            offered.update(bcs.cluster_values)
        if scope == "namespace":
            offered.update(instance.values)
        for key, setting in sorted(offered.items()):
            layers.setdefault(key, []).append((scope, setting))
    return {
        key: Resolved(key, chain[-1][1].value, chain[-1][0], tuple(chain))
        for key, chain in sorted(layers.items())
    }


def as_text(value: Any) -> str:
    """How a value reads once substituted into YAML text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def references(text: str) -> list[tuple[int, int, str]]:
    """(line, column, key) of every `{{KEY}}`, 1-based, in order."""
    return [
        (number, match.start() + 1, match.group(1))
        for number, line in enumerate(text.splitlines(), start=1)
        for match in VARIABLE.finditer(line)
    ]


def substitute(
    text: str, values: Mapping[str, Resolved], source: str, instance: str, tset: TemplateSet
) -> str:
    """Replace every `{{KEY}}`; an unknown key is an error at its file:line:column."""
    for line, column, key in references(text):
        if key in values:
            if "\n" in as_text(values[key].value):
                setting = values[key].chain[-1][1]
                raise OverlayError(
                    f"variable {key} has a multi-line value",
                    location=Location(setting.source, setting.line),
                    hint="variable values are single-line scalars; put text in a ConfigMap",
                )
            continue
        hint = (
            f"set it in {SYSTEM[key][1]}"
            if key in SYSTEM
            else f"give it a default under variables: in {tset.source} "
            f"or a value in instance '{instance}'"
            if key in tset.variables or key in LOG_DATA_IDS
            else f"declare it under variables: in {tset.source}"
        )
        raise TemplateError(
            f"undefined variable {key} in instance '{instance}'",
            location=Location(source, line, column),
            hint=hint,
        )
    return VARIABLE.sub(lambda m: as_text(values[m.group(1)].value), text)


def helm_values(
    bcs: BcsSettings | None, registry: Setting, namespace: str
) -> dict[str, Any] | None:
    """`__BCS__` and `global.__BCS__` for a Helm release, as BCS passes them to charts."""
    if bcs is None:
        return None
    system = system_settings(bcs, registry, Setting(namespace, bcs.source))
    values = {key: setting.value for key, (_, setting) in sorted(system.items())}
    return {"__BCS__": values, "global": {"__BCS__": dict(values)}}


def explain(tset: TemplateSet, bcs: BcsSettings | None, registry: Setting, key: str) -> list[str]:
    """`bkgen explain` lines for KEY (all instances) or NAMESPACE.KEY (one instance)."""
    namespace, _, name = key.rpartition(".")
    instances = [i for i in tset.instances if not namespace or i.namespace == namespace]
    if not instances:
        known = ", ".join(i.namespace for i in tset.instances)
        raise OverlayError(f"no instance '{namespace}' in {tset.name}", hint=f"instances: {known}")
    lines: list[str] = []
    for instance in instances:
        resolved = resolve(tset, instance, bcs, registry).get(name)
        label = f"{tset.name}@{instance.namespace}: {name}"
        if resolved is None:
            lines.append(f"{label} is undefined")
            continue
        lines.append(f"{label} = {as_text(resolved.value)}  ({resolved.scope} scope)")
        lines.extend(f"  set by {setting.origin}  ({scope})" for scope, setting in resolved.chain)
    return lines
