"""Releases, suites and chart repositories: the catalog as typed values.

The catalog is data (`overlays/base/catalog.yaml`); this module holds what it becomes
(`Release`, `Catalog`). The sync-wave plan computed from it lives in `overlay/waves.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bkgen.errors import Location

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


@dataclass(frozen=True)
class Catalog:
    repositories: Mapping[str, str]
    seq_order: tuple[str, ...]
    suites: Mapping[str, str]
    releases: Mapping[str, Release]
    source: str = "overlays/base/catalog.yaml"
    prerequisites: tuple[str, ...] = ()  # group/version/Kind present before any release
    platform: str = ""  # e.g. "BlueKing 7.1"
    kube_versions: tuple[str, str] | None = None  # (min, max) Kubernetes the platform supports
    # dotted global-values key -> (group/version/Kind its charts create, line in catalog.yaml)
    switches: Mapping[str, tuple[str, int | None]] = field(default_factory=dict)

    def at(self, name: str) -> Location:
        release = self.releases.get(name)
        return Location(self.source, release.line if release else None)
