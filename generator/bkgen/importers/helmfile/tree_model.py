"""The plain data a helmfile tree is read into (see `tree.read_tree`); no behaviour here.

Paths are tree-relative POSIX strings; lines are 1-based lines of the file named beside them
(for a state file: of its rendered text, which is the source line unless a template above it
adds or removes lines). Nothing here is absolute or machine-specific.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ValuesEntry:
    """One entry of a values list (an environment's `values:` or a release's `values:`)."""

    path: str | None  # tree-relative POSIX path; None when inline
    inline: Any | None  # the inline mapping, already rendered with its state file
    exists: bool  # False: missing, allowed by missingFileHandler Warn/Info/Debug
    source: str  # the file the entry is written in
    line: int | None


@dataclass(frozen=True)
class Hook:
    """A release hook as written in the state file (args keep helmfile's release-template
    `{{ … }}` text: helmfile renders them per release at run time)."""

    events: tuple[str, ...]
    command: str
    args: tuple[str, ...]
    source: str
    line: int | None
    show_logs: bool = False


@dataclass(frozen=True)
class TreeRelease:
    name: str
    namespace: str
    chart: str
    version: str | None
    labels: Mapping[str, str]  # the release's own labels (commonLabels apart)
    needs: tuple[str, ...]
    condition: str | None
    installed: bool
    values: tuple[ValuesEntry, ...]
    hooks: tuple[Hook, ...]
    state_file: str  # where the release is defined
    line: int | None
    common_labels: Mapping[str, str]  # commonLabels of its state file
    helm_defaults: Mapping[str, Any]  # helmDefaults of its state file
    settings: Mapping[str, Any]  # the release's other keys (wait, timeout, …) as written


@dataclass(frozen=True)
class HelmfileTree:
    root: Path
    environment: str
    values_files: tuple[ValuesEntry, ...]  # the environment's values list
    values: Mapping[str, Any]  # merged environment values (.Values)
    origins: Mapping[tuple[str, ...], tuple[str, int | None]]  # leaf path -> (file, line)
    helm_defaults: Mapping[str, Any]  # of the first entry state file
    repositories: Mapping[str, str]  # repository name -> URL, from every state file read
    releases: tuple[TreeRelease, ...]  # helmfile order, one per (name, namespace)
    entries: tuple[str, ...]  # the entry state files read
    notes: tuple[str, ...]  # what helmfile would warn about, sorted
