"""Renderers, one per release source kind; each turns a release into plain manifests.

A renderer takes the loaded environment and one release and returns a
`RenderedRelease`; it never writes files and never touches other releases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# How a release's manifests were produced; `bkgen render` reports it per release.
MODE_TEMPLATES = "templates"  # jinja2 templates owned by this project
MODE_HELM = "helm-local"  # chart rendered here with the Helm engine
MODE_ARGOCD_HELM = "helm-argocd"  # chart not available here: Argo CD renders it
MODE_WORKFLOW = "workflow"  # Argo Workflow compiled from argo/ with Hera
NOT_PULLED = "not pulled"  # how the note of a chart left to Argo CD begins


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object and where it came from (for error messages)."""

    body: dict[str, Any]
    source: str


class Replay(Protocol):
    def render(self, values: dict[str, Any]) -> list[dict[str, Any]]: ...

    def merged_values(self, values: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RenderedRelease:
    name: str
    mode: str
    manifests: tuple[Manifest, ...] = ()
    values: dict[str, Any] | None = None  # merged chart values, for review
    notes: tuple[str, ...] = field(default=())
    # The chart again, with other values; used only to explain a refused Secret.
    replay: Replay | None = field(default=None, compare=False, repr=False)
    secret_refs: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RenderSummary:
    """What `bkgen render` reports of one environment (kept by `render.stamp` too, so a
    no-op render reports the same without rendering)."""

    env: str
    releases: tuple[tuple[str, str], ...]  # (release, mode) in wave order
    waves: tuple[tuple[str, int], ...]
    input_digest: str
    files: int
    notes: tuple[tuple[str, str], ...] = ()  # (release, note): hooks dropped, Helm warnings
    warnings: tuple[str, ...] = ()  # about the input: file:line: warning: … (overlay checks)
