"""Find and load an environment's overlay files; the layering order lives here, once.

    overlays/base/catalog.yaml       releases, suites, seq order, chart repositories
    overlays/base/versions.yaml      pinned chart versions (helmfile's version.yaml)
    overlays/base/values.yaml        global defaults
    overlays/base/releases/<r>-values.yaml.j2
    overlays/<env>/env.yaml          target cluster, suites, git and Argo CD settings
    overlays/<env>/versions.yaml     optional version pins for this env
    overlays/<env>/custom.yaml       the operator's global overrides
    overlays/<env>/<r>-values.yaml.j2, <r>-custom-values.yaml.j2

Global values: base versions < env versions < base values < env custom.
Chart values of a release: base release values < env release values < env
release custom values, each a jinja2 template that sees the global values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen import confine
from bkgen.engines.jinja_sandbox import render_template
from bkgen.errors import CatalogError, Location, OverlayError, UsageError, display_path
from bkgen.overlay.bcs_variables import helm_values, registry_setting
from bkgen.overlay.catalog import Catalog, ChartRef, Release
from bkgen.overlay.file_schemas import check
from bkgen.overlay.files import account
from bkgen.overlay.merge import KeyPath, Layer, Merged, format_key_path, merge_layers
from bkgen.overlay.settings import EnvSettings, read_settings
from bkgen.overlay.suites import apply_switches
from bkgen.overlay.templatesets import (
    BcsSettings,
    TemplateSet,
    instance_namespaces,
    load_bcs_settings,
    load_template_sets,
    with_template_sets,
)
from bkgen.overlay.waves import Plan, plan
from bkgen.secrets.refs import SecretRef, substitute
from bkgen.suggest import closest_key_path, did_you_mean
from bkgen.yamlio import load_file, load_text, position, to_plain

ENV_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")


@dataclass(frozen=True)
class Environment:
    root: Path
    settings: EnvSettings
    catalog: Catalog
    blueking_version: str
    versions: Mapping[str, str]
    values: Merged
    plan: Plan
    template_sets: Mapping[str, TemplateSet] = field(default_factory=dict)  # BCS 模板集
    bcs: BcsSettings | None = None  # overlays/<env>/bcs.yaml
    secret_refs: Mapping[str, SecretRef] = field(default_factory=dict)  # sentinel -> ref
    steps_root: Path | None = None  # where argo/ is imported from (a trusted ref's copy)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def base_dir(self) -> Path:
        return self.root / "overlays" / "base"

    @property
    def steps_dir(self) -> Path:
        """The directory whose `argo/` holds the workflow steps (docs/security.md)."""
        return self.steps_root or self.root

    @property
    def env_dir(self) -> Path:
        return self.root / "overlays" / self.settings.name

    def shown(self, path: Path) -> str:
        return display_path(path, self.root)


def list_environments(root: Path) -> list[str]:
    overlays = root / "overlays"
    if not overlays.is_dir():
        return []
    return sorted(
        p.name for p in overlays.iterdir() if p.name != "base" and (p / "env.yaml").is_file()
    )


def unknown_environment(root: Path, name: str) -> UsageError:
    """The error for an environment name that has no `overlays/<name>/env.yaml`."""
    known = list_environments(root)
    if (root / "overlays" / name).is_dir():
        return UsageError(
            f"environment '{name}' has no env.yaml",
            location=Location(display_path(root / "overlays" / name / "env.yaml", root)),
            hint="docs/overlays.md, 'Adding an environment', says what it holds",
        )
    create = f"`bkgen env new {name}` creates it"
    return UsageError(
        f"unknown environment '{name}'",
        hint=did_you_mean(name, known, f"environments: {', '.join(known)}; {create}")
        if known
        else f"no overlays/<env>/env.yaml yet; {create}",
    )


def require_environment(root: Path, name: str) -> None:
    """Raise `unknown_environment` unless `name` is an environment of `root`."""
    if name not in list_environments(root):
        raise unknown_environment(root, name)


def _load_checked(root: Path, path: Path, schema: str) -> Any:
    document = load_file(path, root=root)
    check(document, schema, display_path(path, root), root)
    return document


def load_catalog(root: Path) -> Catalog:
    path = root / "overlays" / "base" / "catalog.yaml"
    doc = _load_checked(root, path, "catalog.schema.json")
    repos = {str(k): str(v["url"]) for k, v in doc["repositories"].items()}
    shown = display_path(path, root)
    releases: dict[str, Release] = {}
    for name, entry in doc["releases"].items():
        line = (position(doc["releases"], name) or (None, None))[0]
        kind = next(k for k in ("chart", "templates", "workflow") if k in entry)
        chart = None
        if kind == "chart":
            repo = str(entry["chart"]["repo"])
            if repo not in repos:
                raise CatalogError(
                    f"release '{name}' uses unknown chart repository '{repo}'",
                    location=Location(shown, line),
                )
            chart = ChartRef(repo, repos[repo], str(entry["chart"]["name"]))
        releases[str(name)] = Release(
            name=str(name),
            source=kind,
            namespace=str(entry.get("namespace", "")),
            suite=str(entry["suite"]),
            seq=str(entry["seq"]),
            needs=tuple(str(n) for n in entry.get("needs", [])),
            domains=tuple(str(d) for d in entry.get("domains", [])),
            description=str(entry.get("description", "")),
            chart=chart,
            templates=str(entry["templates"]) if kind == "templates" else None,
            workflow=str(entry["workflow"]) if kind == "workflow" else None,
            params=to_plain(entry.get("params", {})),
            enabled_by=entry.get("enabledBy"),
            server_side_apply=bool(entry.get("serverSideApply", False)),
            line=line,
            provides=tuple(str(p) for p in entry.get("provides", [])),
        )
    return Catalog(
        repositories=repos,
        seq_order=tuple(str(s) for s in doc["seqOrder"]),
        suites={str(k): str(v) for k, v in doc["suites"].items()},
        releases=releases,
        source=shown,
        prerequisites=tuple(str(p) for p in doc.get("prerequisites", [])),
        platform=str(doc.get("platform", "")),
        switches={
            str(k): (str(v), (position(doc["switches"], k) or (None,))[0])
            for k, v in (doc.get("switches") or {}).items()
        },
        kube_versions=(
            (str(doc["kubeVersions"]["min"]), str(doc["kubeVersions"]["max"]))
            if "kubeVersions" in doc
            else None
        ),
    )


def _check_known_keys(
    custom: Any, base: Any, shown: str, base_tree: Any, prefix: KeyPath = ()
) -> None:
    """custom.yaml may only set keys the base values define: a typo must not pass silently.

    The hint searches the whole base tree, so a key at the wrong indentation is found where
    it belongs (`bkMainSiteDomain` -> `domain.bkMainSiteDomain`) instead of advising to grow
    the base values.
    """
    if not isinstance(custom, Mapping) or not isinstance(base, Mapping):
        return
    for key, value in custom.items():
        path = (*prefix, str(key))
        if str(key) not in base:
            meant = closest_key_path(path, base_tree)
            raise OverlayError(
                f"unknown key '{format_key_path(path)}' (not in overlays/base/values.yaml)",
                location=Location(shown, *(position(custom, key) or ())),
                hint=(
                    f"did you mean '{format_key_path(meant)}'?"
                    if meant is not None
                    else "custom.yaml overrides base values; a new global value is a change "
                    "to overlays/base/values.yaml and the templates that read it"
                ),
            )
        if isinstance(base[str(key)], Mapping) and base[str(key)]:
            _check_known_keys(value, base[str(key)], shown, base_tree, path)


def _enabled(
    catalog: Catalog, settings: EnvSettings, values: Mapping[str, Any]
) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for name, release in catalog.releases.items():
        if release.suite not in settings.suites:
            result[name] = f"suite {release.suite} not enabled"
            continue
        if release.enabled_by:
            node: Any = values
            for part in release.enabled_by.split("."):
                if not isinstance(node, Mapping) or part not in node:
                    raise CatalogError(
                        f"release '{name}' has enabledBy '{release.enabled_by}', "
                        "which the global values do not define",
                        location=catalog.at(name),
                    )
                node = node[part]
            if node is not True and node is not False:
                raise CatalogError(
                    f"'{release.enabled_by}' must be true or false, got {node!r}",
                    location=catalog.at(name),
                )
            if not node:
                result[name] = f"{release.enabled_by} is false"
                continue
        result[name] = None
    return result


def load_environment(root: Path, name: str) -> Environment:
    """Everything about one environment, validated; raises before anything renders."""
    if not ENV_NAME.match(name):
        raise UsageError(f"invalid environment name {name!r} (lowercase letters, digits, '-')")
    env_dir = root / "overlays" / name
    if not (env_dir / "env.yaml").is_file():
        raise unknown_environment(root, name)
    base = root / "overlays" / "base"
    sets = load_template_sets(root, env_dir)
    catalog = with_template_sets(load_catalog(root), sets)
    env_doc = _load_checked(root, env_dir / "env.yaml", "env.schema.json")
    settings = read_settings(root, name, env_doc, catalog)
    account(root, env_dir, catalog, settings.charts_dir.relative_to(env_dir).as_posix())

    layers: list[Layer] = []
    pins: dict[str, str] = {}
    blueking_version = ""
    for path, required in ((base / "versions.yaml", True), (env_dir / "versions.yaml", False)):
        if not required and not confine.exists(path):
            continue
        doc = _load_checked(root, path, "versions.schema.json")
        shown = display_path(path, root)
        for release in doc.get("version", {}) or {}:
            if str(release) not in catalog.releases:
                raise OverlayError(
                    f"version pinned for unknown release '{release}'",
                    location=Location(shown, *(position(doc["version"], release) or ())),
                )
        pins.update({str(k): str(v) for k, v in (doc.get("version") or {}).items()})
        blueking_version = str(doc.get("blueking", blueking_version))
        layers.append(Layer(shown, doc))
    base_values = _load_checked(root, base / "values.yaml", "values.schema.json")
    layers.append(Layer(display_path(base / "values.yaml", root), base_values))
    custom_path = env_dir / "custom.yaml"
    if confine.exists(custom_path):  # a directory or dangling link is an error, not absent
        custom = _load_checked(root, custom_path, "values.schema.json")
        _check_known_keys(custom, base_values, display_path(custom_path, root), base_values)
        layers.append(Layer(display_path(custom_path, root), custom))
    merged = merge_layers(layers)
    merged.values, refs = substitute(merged.values, locate=merged.location)
    for release in catalog.releases.values():
        if release.source == "chart" and release.name not in pins:
            raise OverlayError(
                f"chart release '{release.name}' has no pinned version",
                location=Location(display_path(base / "versions.yaml", root)),
                hint=f'add `{release.name}: "x.y.z"` under `version:`',
            )
    env_plan = plan(catalog, _enabled(catalog, settings, merged.values))
    apply_switches(catalog, settings, env_plan, merged)
    return Environment(
        root=root,
        settings=settings,
        catalog=catalog,
        blueking_version=blueking_version,
        versions=pins,
        values=merged,
        plan=env_plan,
        template_sets={name: tset for name, (tset, _) in sets.items()},
        bcs=load_bcs_settings(root, env_dir),
        secret_refs=refs,
    )


def release_namespace(env: Environment, release: Release) -> str:
    return release.namespace or str(env.values.values.get("namespace", "blueking"))


def template_context(env: Environment, release: Release) -> dict[str, Any]:
    """What every values/manifest template sees. Plain data only, nothing callable."""
    return {
        "values": env.values.values,
        "env": {
            "name": env.name,
            "kubeVersion": env.settings.kube_version,
            "bluekingVersion": env.blueking_version,
            "releases": sorted(r.name for r in env.plan.releases),
            "namespaces": sorted(
                {release_namespace(env, r) for r in env.plan.releases}
                | instance_namespaces(_enabled_sets(env))
            ),
        },
        "release": {
            "name": release.name,
            "namespace": release_namespace(env, release),
            "version": env.versions.get(release.name, ""),
            "suite": release.suite,
            "domains": list(release.domains),
            "params": dict(release.params),
        },
    }


def _enabled_sets(env: Environment) -> dict[str, TemplateSet]:
    on = {r.name for r in env.plan.releases}
    return {name: tset for name, tset in env.template_sets.items() if name in on}


def _line_mapper(template: str, rendered: str) -> Any:
    """Map rendered lines back to template lines by matching key names in order.

    jinja2 keeps no source map; keys are what a reviewer looks for, so a key on
    rendered line N is attributed to the next template line that spells the same key.
    """
    key = re.compile(r"^\s*-?\s*([^\s:#][^:#]*?):(\s|$)")
    tpl_lines = template.splitlines()
    mapping: dict[int, int] = {}
    cursor = 0
    for number, text in enumerate(rendered.splitlines(), start=1):
        match = key.match(text)
        if not match:
            continue
        for offset in range(cursor, len(tpl_lines)):
            if re.search(rf"(^|\s|-){re.escape(match.group(1))}:", tpl_lines[offset]):
                mapping[number] = offset + 1
                cursor = offset
                break

    def line_of(line: int) -> int:
        return mapping.get(line, line)

    return line_of


def release_values(env: Environment, release: Release) -> Merged:
    """Render and merge a release's values templates (base < env values < env custom)."""
    return merge_layers(release_layers(env, release))


def release_layers(env: Environment, release: Release) -> list[Layer]:
    """The rendered values layers of a release, in merge order, each with its source lines."""
    candidates = (
        env.base_dir / "releases" / f"{release.name}-values.yaml.j2",
        env.env_dir / f"{release.name}-values.yaml.j2",
        env.env_dir / f"{release.name}-custom-values.yaml.j2",
    )
    context = template_context(env, release)
    layers: list[Layer] = []
    for path in candidates:
        if not confine.exists(path):
            continue
        shown = env.shown(path)
        text = confine.read_text(path, env.root)
        rendered = render_template(text, shown, context)
        doc = load_text(rendered, f"{shown} (rendered)")
        if doc is not None and not isinstance(doc, Mapping):
            raise OverlayError("values must be a mapping", location=Location(shown, 1))
        layers.append(Layer(shown, doc, _line_mapper(text, rendered)))
    if env.bcs is not None and release.name in env.bcs.helm_releases:
        layers.append(_bcs_layer(env, release))
    return layers


def _bcs_layer(env: Environment, release: Release) -> Layer:
    """BCS system variables as BCS passes them to charts (`__BCS__`, `global.__BCS__`)."""
    assert env.bcs is not None
    namespace = release_namespace(env, release)
    return Layer(env.bcs.source, helm_values(env.bcs, registry_setting(env.values), namespace))
