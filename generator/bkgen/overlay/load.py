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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bkgen.errors import CatalogError, Location, OverlayError, UsageError, display_path
from bkgen.errors.suggest import closest_key_path, did_you_mean
from bkgen.overlay.catalog import Catalog, Release, load_catalog
from bkgen.overlay.disabled_values import disabled_values
from bkgen.overlay.env_catalog import global_keys_read, listed_names, with_env_catalog
from bkgen.overlay.extends import resolve as resolve_extends
from bkgen.overlay.file_schemas import load_checked
from bkgen.overlay.files import account
from bkgen.overlay.merge import KeyPath, Layer, Merged, format_key_path, merge_layers
from bkgen.overlay.names import list_environments, unknown_environment
from bkgen.overlay.platforms import env_platform_dir, values_schema
from bkgen.overlay.settings import EnvSettings, read_settings
from bkgen.overlay.suites import apply_switches
from bkgen.overlay.templatesets import (
    BcsSettings,
    TemplateSet,
    load_bcs_settings,
    load_template_sets,
    with_template_sets,
)
from bkgen.overlay.waves import Plan, plan
from bkgen.safety import confine
from bkgen.secrets.refs import SecretRef, substitute
from bkgen.yamlio import position

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
    base_dir: Path  # the platform's folder: overlays/base or overlays/platforms/<name>
    template_sets: Mapping[str, TemplateSet] = field(default_factory=dict)  # BCS 模板集
    bcs: BcsSettings | None = None  # overlays/<env>/bcs.yaml
    secret_refs: Mapping[str, SecretRef] = field(default_factory=dict)  # sentinel -> ref
    steps_root: Path | None = None  # where argo/ is imported from (a trusted ref's copy)
    ancestors: tuple[str, ...] = ()  # env.yaml `extends:` chain, root-most first

    @property
    def layer_dirs(self) -> tuple[Path, ...]:
        """The directories whose files layer this env's values: ancestors', then its own."""
        return (*(self.root / "overlays" / a for a in self.ancestors), self.env_dir)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def steps_dir(self) -> Path:
        """The directory whose `argo/` holds the workflow steps (docs/security.md)."""
        return self.steps_root or self.root

    @property
    def env_dir(self) -> Path:
        return self.root / "overlays" / self.settings.name

    def shown(self, path: Path) -> str:
        return display_path(path, self.root)


def _check_known_keys(
    custom: Any,
    base: Any,
    shown: str,
    base_tree: Any,
    prefix: KeyPath = (),
    values_file: str = "overlays/base/values.yaml",
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
                f"unknown key '{format_key_path(path)}' (not in {values_file})",
                location=Location(shown, *(position(custom, key) or ())),
                hint=(
                    f"did you mean '{format_key_path(meant)}'?"
                    if meant is not None
                    else "custom.yaml overrides base values; a new global value is a change "
                    f"to {values_file} and the templates that read it"
                ),
            )
        if isinstance(base[str(key)], Mapping) and base[str(key)]:
            _check_known_keys(value, base[str(key)], shown, base_tree, path, values_file)


def _check_top_keys(
    custom: Any, known: set[str], shown: str, values_file: str = "overlays/base/values.yaml"
) -> None:
    """With baseReleaseValues off the env's own templates read the globals: a top-level key
    neither they nor the base read would be ignored."""
    for key in custom if isinstance(custom, Mapping) else ():
        if str(key) not in known:
            raise OverlayError(
                f"unknown key '{key}': neither {values_file} nor any values "
                "template of this environment reads it",
                location=Location(shown, *(position(custom, key) or ())),
                hint=did_you_mean(str(key), sorted(known), "remove it, or read it in a template"),
            )


def _enabled(
    catalog: Catalog, settings: EnvSettings, values: Mapping[str, Any]
) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for name, release in catalog.releases.items():
        if release.off is not None:
            result[name] = release.off
            continue
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
    env_doc = load_checked(root, env_dir / "env.yaml", "env.schema.json")
    # The platform may come from an ancestor (env.yaml extends:): read before the catalog
    # it selects is loaded.
    base = env_platform_dir(root, name, env_doc)
    sets = load_template_sets(root, env_dir)
    catalog = with_env_catalog(root, env_dir, with_template_sets(load_catalog(root, base), sets))
    lineage = resolve_extends(root, name, env_doc, catalog, lambda: list_environments(root))
    settings = read_settings(root, name, lineage.settings_doc, catalog)
    layer_dirs = [root / "overlays" / a for a in lineage.ancestors] + [env_dir]
    charts_dir = settings.charts_dir.relative_to(env_dir).as_posix()
    account(root, env_dir, catalog, charts_dir, listed_names(env_dir, catalog))

    layers: list[Layer] = []
    pins: dict[str, str] = {}
    blueking_version = ""
    pin_files = [(d / "versions.yaml", False) for d in layer_dirs]
    for path, required in [(base / "versions.yaml", True), *pin_files]:
        if not required and not confine.exists(path):
            continue
        doc = load_checked(root, path, "versions.schema.json")
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
    typed = values_schema(root, base)
    base_values = load_checked(root, base / "values.yaml", typed)
    values_shown = display_path(base / "values.yaml", root)
    layers.append(Layer(values_shown, base_values))
    for custom_path in (d / "custom.yaml" for d in layer_dirs):
        if not confine.exists(custom_path):  # a directory or dangling link is an error
            continue
        custom = load_checked(root, custom_path, typed)
        shown = display_path(custom_path, root)
        if settings.base_release_values:
            _check_known_keys(custom, base_values, shown, base_values, (), values_shown)
        else:
            _check_top_keys(
                custom, set(base_values) | global_keys_read(env_dir, catalog), shown, values_shown
            )
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
    unread = disabled_values(root, catalog, settings, env_plan.disabled, merged)
    settings = replace(settings, notices=(*settings.notices, *unread))
    return Environment(
        root=root,
        settings=settings,
        catalog=catalog,
        blueking_version=blueking_version,
        versions=pins,
        values=merged,
        plan=env_plan,
        base_dir=base,
        template_sets={name: tset for name, (tset, _) in sets.items()},
        bcs=load_bcs_settings(root, env_dir),
        secret_refs=refs,
        ancestors=lineage.ancestors,
    )


def release_namespace(env: Environment, release: Release) -> str:
    return release.namespace or str(env.values.values.get("namespace", "default"))
