"""`overlays/<env>/charts.lock`: which bytes each chart release of an environment renders.

One entry per chart release: chart name, version, repository URL and the sha256 digest of
the archive. `bkgen charts lock` writes it (sorted, no timestamps, so a re-lock of the same
charts is byte-identical); rendering reads it and refuses a stale entry instead of quietly
rendering something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bkgen.errors import Location, OverlayError, display_path
from bkgen.overlay.file_schemas import check
from bkgen.yamlio import load_file, position

LOCK_NAME = "charts.lock"
HEADER = (
    "# Written by `bkgen charts lock`; commit it. Rendering takes each chart release by this\n"
    "# digest from the chart cache (`bkgen charts pull` fills it) and verifies the bytes.\n"
)


@dataclass(frozen=True)
class LockEntry:
    release: str
    chart: str
    version: str
    repository: str
    digest: str
    line: int | None = None


@dataclass(frozen=True)
class ChartLock:
    path: Path
    shown: str
    entries: Mapping[str, LockEntry]

    def at(self, release: str) -> Location:
        entry = self.entries.get(release)
        return Location(self.shown, entry.line if entry else None)


def lock_path(env_dir: Path) -> Path:
    return env_dir / LOCK_NAME


def read_lock(root: Path, env_dir: Path) -> ChartLock:
    """The environment's lock (empty when there is none yet)."""
    path = lock_path(env_dir)
    shown = display_path(path, root)
    if not path.exists():
        return ChartLock(path, shown, {})
    doc = load_file(path, root=root)
    check(doc, "charts-lock.schema.json", shown, root)
    entries: dict[str, LockEntry] = {}
    for release, entry in (doc.get("charts") or {}).items():
        line = (position(doc["charts"], release) or (None, None))[0]
        entries[str(release)] = LockEntry(
            release=str(release),
            chart=str(entry["chart"]),
            version=str(entry["version"]),
            repository=str(entry["repository"]),
            digest=str(entry["digest"]),
            line=line,
        )
    return ChartLock(path, shown, entries)


def render_lock(entries: Mapping[str, LockEntry]) -> str:
    """The lock file's text: one fixed form, so the same charts give the same bytes."""
    lines = [HEADER.rstrip("\n"), "charts:"] if entries else [HEADER.rstrip("\n"), "charts: {}"]
    for release in sorted(entries):
        entry = entries[release]
        lines += [
            f"  {release}:",
            f"    chart: {entry.chart}",
            f'    version: "{entry.version}"',
            f"    repository: {entry.repository}",
            f"    digest: {entry.digest}",
        ]
    return "\n".join(lines) + "\n"


def stale_reason(entry: LockEntry, chart: str, version: str, repository: str) -> str | None:
    """Why a lock entry no longer matches the catalog and pins, or None."""
    if entry.chart != chart:
        return f"locks chart {entry.chart}, the catalog says {chart}"
    if entry.version.removeprefix("v") != version.removeprefix("v"):
        return f"locks version {entry.version}, the pin is {version}"
    if entry.repository.rstrip("/") != repository.rstrip("/"):
        return f"locks repository {entry.repository}, the env uses {repository}"
    return None


def require_fresh(
    lock: ChartLock, release: str, chart: str, version: str, repository: str
) -> LockEntry | None:
    entry = lock.entries.get(release)
    if entry is None:
        return None
    reason = stale_reason(entry, chart, version, repository)
    if reason:
        raise OverlayError(
            f"stale lock entry for '{release}': {reason}",
            location=lock.at(release),
            hint=f"bkgen charts lock {lock.path.parent.name}",
        )
    return entry
