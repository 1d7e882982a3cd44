"""BCS template sets of an environment, as overlay data.

    overlays/<env>/bcs.yaml                          the BCS project and cluster this env is
    overlays/<env>/templatesets/<set>/templateset.yaml   variables and instances of one set
    overlays/<env>/templatesets/<set>/manifests/*.yaml   the manifests as the user wrote them

A template set (模板集) becomes a `templates:` release of the environment; each
instance instantiates every manifest in one namespace. This module only reads
and checks those files (JSON Schema, names, did-you-mean); resolving variables
is `bcs_vars`, instantiating is `render.templatesets`. It must not render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bkgen.errors import CatalogError, Location, OverlayError, display_path
from bkgen.errors.suggest import did_you_mean
from bkgen.overlay.catalog import Catalog, Release
from bkgen.overlay.file_schemas import check
from bkgen.yamlio import YAML_SUFFIXES, load_file, position, to_plain, yaml_files

SCOPES = ("global", "cluster", "namespace")  # BCS 全局变量 / 集群变量 / 命名空间变量
SETS_DIR = "templatesets"
MANIFEST_SUFFIXES = YAML_SUFFIXES


@dataclass(frozen=True)
class Setting:
    """One value the user wrote, and where."""

    value: Any
    source: str
    line: int | None = None

    @property
    def origin(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True)
class Variable:
    key: str
    scope: str
    name: str = ""  # the display name BCS shows (often Chinese)
    default: Setting | None = None
    line: int | None = None


@dataclass(frozen=True)
class Instance:
    namespace: str
    values: Mapping[str, Setting]
    line: int | None = None


@dataclass(frozen=True)
class TemplateSet:
    name: str
    directory: Path
    source: str  # templateset.yaml as shown to the user
    variables: Mapping[str, Variable]
    instances: tuple[Instance, ...]
    manifests: tuple[Path, ...]


@dataclass(frozen=True)
class BcsSettings:
    """`bcs.yaml`: system variables and env-wide user variables by scope."""

    source: str
    project_id: Setting | None = None
    cc_app_id: Setting | None = None
    cluster_id: Setting | None = None
    jfrog_domain: Setting | None = None
    global_values: Mapping[str, Setting] = field(default_factory=dict)
    cluster_values: Mapping[str, Setting] = field(default_factory=dict)
    helm_releases: tuple[str, ...] = ()


def _setting(node: Any, key: str, shown: str) -> Setting | None:
    if not isinstance(node, Mapping) or key not in node or node[key] in (None, ""):
        return None
    return Setting(to_plain(node[key]), shown, (position(node, key) or (None,))[0])


def _settings_map(node: Any, shown: str) -> dict[str, Setting]:
    if not isinstance(node, Mapping):
        return {}
    return {
        str(k): Setting(to_plain(v), shown, (position(node, k) or (None,))[0])
        for k, v in node.items()
    }


def load_bcs_settings(root: Path, env_dir: Path) -> BcsSettings | None:
    path = env_dir / "bcs.yaml"
    if not path.is_file():
        return None
    shown = display_path(path, root)
    doc = load_file(path, root=root)
    check(doc, "bcs.schema.json", shown, root)
    project = doc.get("project") or {}
    cluster = doc.get("cluster") or {}
    helm = doc.get("helmReleases") or []
    return BcsSettings(
        source=shown,
        project_id=_setting(project, "id", shown),
        cc_app_id=_setting(project, "ccAppId", shown),
        cluster_id=_setting(cluster, "id", shown),
        jfrog_domain=_setting(cluster, "jfrogDomain", shown),
        global_values=_settings_map(project.get("variables"), shown),
        cluster_values=_settings_map(cluster.get("variables"), shown),
        helm_releases=tuple(str(r) for r in helm),
    )


def manifest_files(directory: Path) -> tuple[Path, ...]:
    base = directory / "manifests"
    if not base.is_dir():
        return ()
    return tuple(yaml_files(base, links=True, hidden=True))


def _load_set(root: Path, directory: Path) -> tuple[TemplateSet, Release]:
    path = directory / "templateset.yaml"
    shown = display_path(path, root)
    doc = load_file(path, root=root)
    check(doc, "templateset.schema.json", shown, root)
    variables: dict[str, Variable] = {}
    for key, spec in (doc.get("variables") or {}).items():
        variables[str(key)] = Variable(
            key=str(key),
            scope=str(spec.get("scope", "namespace")),
            name=str(spec.get("name", "")),
            default=_setting(spec, "default", shown),
            line=(position(doc["variables"], key) or (None,))[0],
        )
    instances: list[Instance] = []
    seen: dict[str, int | None] = {}
    for index, item in enumerate(doc.get("instances") or []):
        line = (position(doc["instances"], index) or (None,))[0]
        namespace = str(item["namespace"])
        if namespace in seen:
            raise OverlayError(
                f"two instances in namespace '{namespace}' would collide on every object name",
                location=Location(shown, line),
                hint=f"the first is at line {seen[namespace]}; one instance per namespace",
            )
        seen[namespace] = line
        values = _settings_map(item.get("values"), shown)
        for key, setting in values.items():
            if key not in variables and not key.startswith("SYS_"):
                raise OverlayError(
                    f"instance '{namespace}' sets '{key}', which the template set does not define",
                    location=Location(shown, setting.line),
                    hint=did_you_mean(key, variables, "declare it under variables:"),
                )
        instances.append(Instance(namespace, values, line))
    manifests = manifest_files(directory)
    if not manifests:
        raise OverlayError(
            "template set has no manifests",
            location=Location(display_path(directory / "manifests", root)),
            hint="put the set's *.yaml files in manifests/",
        )
    name = directory.name
    tset = TemplateSet(name, directory, shown, variables, tuple(instances), manifests)
    release = Release(
        name=name,
        source="templates",
        namespace=str(doc.get("namespace", "")),
        suite=str(doc.get("suite", "bcs")),
        seq=str(doc.get("seq", "bcs")),
        needs=tuple(str(n) for n in doc.get("needs", [])),
        description=str(doc.get("description", f"BCS template set {name}")),
        templates=name,
        template_set=name,
        line=1,
    )
    return tset, release


def load_template_sets(root: Path, env_dir: Path) -> dict[str, tuple[TemplateSet, Release]]:
    base = env_dir / SETS_DIR
    if not base.is_dir():
        return {}
    return {
        d.name: _load_set(root, d)
        for d in sorted(base.iterdir())
        if d.is_dir() and (d / "templateset.yaml").is_file()
    }


def with_template_sets(
    catalog: Catalog, sets: Mapping[str, tuple[TemplateSet, Release]]
) -> Catalog:
    """The catalog plus one `templates:` release per template set of the environment."""
    releases = dict(catalog.releases)
    for name, (tset, release) in sets.items():
        if name in releases:
            raise CatalogError(
                f"template set '{name}' has the name of a catalog release",
                location=Location(tset.source),
                hint="rename the directory under templatesets/ (it is the release name)",
            )
        releases[name] = release
    return replace(catalog, releases=releases)


def instance_namespaces(sets: Mapping[str, TemplateSet]) -> set[str]:
    return {i.namespace for s in sets.values() for i in s.instances}
