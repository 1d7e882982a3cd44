"""What an import writes and says, built release by release (`convert.py` fills it,
`values_files.py` adds the values files, `report.py` prints it). Plain data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bkgen.charts.lock import LockEntry
from bkgen.importers.helmfile import secrets


@dataclass(frozen=True)
class ReleaseRow:
    name: str
    chart: str
    version: str
    status: str  # "base", "new", "replaces base <kind>"
    suite: str
    seq: str
    chart_source: str  # "locked (bundled archive)", "to pull", ...
    enabled: bool


@dataclass
class Conversion:
    """Everything the import writes (env-relative path -> bytes) and says."""

    env: str
    files: dict[str, bytes] = field(default_factory=dict)
    releases: list[ReleaseRow] = field(default_factory=list)
    values_kept: list[str] = field(default_factory=list)
    secrets: list[secrets.SecretMove] = field(default_factory=list)
    hooks: list[tuple[str, str, str | None]] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    switched_off: list[str] = field(default_factory=list)


@dataclass
class State:
    """What the releases add up to while they are converted one by one."""

    files_key: dict[str, Any] = field(default_factory=dict)
    literals: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    lock: dict[str, LockEntry] = field(default_factory=dict)
    new_suites: dict[str, str] = field(default_factory=dict)
