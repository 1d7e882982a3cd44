"""Releases, suites and chart repositories: the catalog as typed values, read from YAML.

The catalog is data (`overlays/base/catalog.yaml`, plus an environment's own
`overlays/<env>/catalog.yaml`: see `env_catalog.py`); this module holds what it becomes
(`Release`, `Catalog`). The sync-wave plan computed from it lives in `waves.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.errors import CatalogError, Location, UsageError, display_path
from bkgen.errors.suggest import did_you_mean
from bkgen.overlay.file_schemas import load_checked
from bkgen.secrets.refs import SecretRef
from bkgen.yamlio import position, to_plain

SOURCE_KINDS = ("chart", "templates", "workflow")


@dataclass(frozen=True)
class ChartRef:
    repo: str
    repo_url: str
    name: str


@dataclass(frozen=True)
class Release:
    """One catalog entry: a Helm chart, a set of owned templates, or an imperative step."""

    name: str
    source: str  # one of SOURCE_KINDS
    namespace: str
    suite: str
    seq: str
    needs: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    description: str = ""
    chart: ChartRef | None = None
    templates: str | None = None  # directory under overlays/base/templates/
    template_set: str | None = None  # BCS template set: overlays/<env>/templatesets/<name>/
    workflow: str | None = None  # module under argo/
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled_by: str | None = None  # dotted key in the global values
    server_side_apply: bool = False
    line: int | None = None  # where the entry starts in catalog.yaml
    provides: tuple[str, ...] = ()  # group/version/Kind of the CRDs it installs
    # The env's own values files of a chart release, in merge order (env catalog `values:`);
    # None: the `<release>-values.yaml.j2` / `-custom-values.yaml.j2` convention.
    values_files: tuple[str, ...] | None = None
    source_file: str = "overlays/base/catalog.yaml"  # the catalog file that defines it
    off: str | None = None  # why the env's catalog.yaml switches it off (`enabled: false`)
    # config key or env variable the chart writes a literal credential under -> its store key
    # (env catalog `chartCredentials`, see secrets/chart_credentials.py)
    chart_credentials: Mapping[str, SecretRef] = field(default_factory=dict)
    # values paths the chart takes a credential at only as a plain value (catalog
    # `plainCredentials`, see overlay/plain_credentials.py)
    plain_credentials: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    repositories: Mapping[str, str]
    seq_order: tuple[str, ...]
    suites: Mapping[str, str]
    releases: Mapping[str, Release]
    source: str = "overlays/base/catalog.yaml"
    prerequisites: tuple[str, ...] = ()  # group/version/Kind present before any release
    platform: str = ""  # e.g. "BlueKing 7.1"
    capacity: Mapping[str, Any] = field(
        default_factory=dict
    )  # runbook node table: capacity/plan.py
    part_of: str = ""  # app.kubernetes.io/part-of of every object ("blueking"); "": no label
    kube_versions: tuple[str, str] | None = None  # (min, max) Kubernetes the platform supports
    # dotted global-values key -> (group/version/Kind its charts create, line in catalog.yaml)
    switches: Mapping[str, tuple[str, int | None]] = field(default_factory=dict)

    def at(self, name: str) -> Location:
        release = self.releases.get(name)
        return Location(release.source_file, release.line) if release else Location(self.source)

    def release(self, name: str, also: tuple[str, ...] = ()) -> Release:
        """The release `name`; an unknown one is a usage error with the closest name (among
        the releases and `also`, names a command accepts besides them)."""
        entry = self.releases.get(name)
        if entry is None:
            raise UsageError(
                f"unknown release '{name}'",
                hint=did_you_mean(name, [*self.releases, *also], "`bkgen catalog ENV` lists them"),
            )
        return entry


def load_catalog(root: Path, base: Path | None = None) -> Catalog:
    """The catalog of a platform folder (`overlay/platforms.py`); BlueKing's by default."""
    path = (base or root / "overlays" / "base") / "catalog.yaml"
    doc = load_checked(root, path, "catalog.schema.json")
    repos = {str(k): str(v["url"]) for k, v in doc["repositories"].items()}
    shown = display_path(path, root)
    releases = {
        str(name): release_from_entry(
            str(name),
            entry,
            repos,
            Location(shown, (position(doc["releases"], name) or (None,))[0]),
        )
        for name, entry in doc["releases"].items()
    }
    return Catalog(
        repositories=repos,
        seq_order=tuple(str(s) for s in doc["seqOrder"]),
        suites={str(k): str(v) for k, v in doc["suites"].items()},
        releases=releases,
        source=shown,
        prerequisites=tuple(str(p) for p in doc.get("prerequisites", [])),
        platform=str(doc.get("platform", "")),
        part_of=str(doc.get("partOf", "")),
        capacity=to_plain(doc.get("capacity", {})),
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


def release_from_entry(
    name: str, entry: Mapping[str, Any], repos: Mapping[str, str], at: Location
) -> Release:
    """One release of a catalog file (already checked against its schema)."""
    kind = next(k for k in SOURCE_KINDS if k in entry)
    plain = plain_credentials_of(name, kind, entry, at)
    chart = None
    if kind == "chart":
        repo = str(entry["chart"]["repo"])
        if repo not in repos:
            raise CatalogError(
                f"release '{name}' uses unknown chart repository '{repo}'", location=at
            )
        chart = ChartRef(repo, repos[repo], str(entry["chart"]["name"]))
    return Release(
        name=name,
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
        line=at.line,
        provides=tuple(str(p) for p in entry.get("provides", [])),
        source_file=at.path,
        plain_credentials=plain,
    )


def plain_credentials_of(
    name: str, kind: str, entry: Mapping[str, Any], at: Location
) -> tuple[str, ...]:
    """A catalog entry's `plainCredentials`, which only a chart release may have."""
    if "plainCredentials" in entry and kind != "chart":
        raise CatalogError(
            f"release '{name}' is a {kind} release: plainCredentials names values of a chart",
            location=at,
            hint="declare a templates release's secrets as {secretRef: …} values instead",
        )
    return tuple(str(p) for p in entry.get("plainCredentials", ()))
