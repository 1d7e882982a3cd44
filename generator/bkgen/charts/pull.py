"""`bkgen charts pull|lock`: fill the chart cache and the environment's charts.lock.

    pull   makes the cache hold what charts.lock pins; a release with no entry yet is
           resolved and added. A warm cache means no network at all. A stale entry (the pin
           or the repository changed) is refused: re-locking is a decision, not a side effect.
    lock   the same, but stale entries are re-resolved and replaced.

All or nothing: archives are fetched and checked in memory, and only when every release
of every environment succeeded are they stored in the cache and the lock files written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bkgen.charts import cache
from bkgen.charts.download import ChartFetchError, Request, fetch
from bkgen.charts.lock import ChartLock, LockEntry, read_lock, render_lock, stale_reason
from bkgen.charts.source import repository_url
from bkgen.errors import Location, OutputError, OverlayError
from bkgen.overlay.load import Environment, load_environment
from bkgen.write.atomic_file import replace_file

CACHED = "cached"
DOWNLOADED = "downloaded"
VENDORED = "vendored"

Progress = Callable[[str, str, str], None]  # env, release, status


@dataclass(frozen=True)
class Pulled:
    release: str
    chart: str
    version: str
    digest: str | None
    status: str  # CACHED, DOWNLOADED or VENDORED


@dataclass(frozen=True)
class EnvPull:
    env: str
    charts: tuple[Pulled, ...]
    lock: ChartLock
    new_entries: dict[str, LockEntry]
    lock_changed: bool


def _vendored(env: Environment, chart: str, version: str) -> bool:
    directory = env.settings.charts_dir
    names = (f"{chart}-{version}.tgz", f"{chart}-{version.removeprefix('v')}.tgz")
    return (
        any((directory / n).exists() for n in names) or (directory / chart / "Chart.yaml").exists()
    )


def _plan_env(
    env: Environment,
    relock: bool,
    fetched: dict[str, tuple[bytes, set[str]]],
    progress: Progress | None,
) -> EnvPull:
    lock = read_lock(env.root, env.env_dir)
    entries = {
        name: LockEntry(e.release, e.chart, e.version, e.repository, e.digest)
        for name, e in lock.entries.items()
    }
    results: list[Pulled] = []
    enabled = set()
    for release in env.plan.releases:
        if release.source != "chart" or release.chart is None:
            continue
        enabled.add(release.name)
        chart, version = release.chart.name, env.versions[release.name]
        repo = repository_url(env, release)
        if _vendored(env, chart, version):
            results.append(Pulled(release.name, chart, version, None, VENDORED))
            entries.pop(release.name, None)
            continue
        entry = entries.get(release.name)
        if entry is not None:
            reason = stale_reason(entry, chart, version, repo)
            if reason and not relock:
                raise OverlayError(
                    f"stale lock entry for '{release.name}': {reason}",
                    location=lock.at(release.name),
                    hint=f"bkgen charts lock {env.name} re-resolves it",
                )
            if reason:
                entry = None
        served = entry is not None and (
            (entry.digest in fetched and repo.rstrip("/") in fetched[entry.digest][1])
            or (cache.has(entry.digest) and repo.rstrip("/") in cache.served_by(entry.digest))
        )
        if entry is not None and served:
            results.append(Pulled(release.name, chart, version, entry.digest, CACHED))
            continue
        request = Request(release.name, release.chart.repo, repo, chart, version)
        got = fetch(request)
        if entry is not None and got.digest != entry.digest:
            raise ChartFetchError(
                f"release '{release.name}', repository {repo}: {chart}-{version}.tgz has digest "
                f"{got.digest}, charts.lock pins {entry.digest}",
                location=lock.at(release.name),
                hint="the repository changed a published version; do not re-lock unless you "
                "trust the new archive",
            )
        fetched.setdefault(got.digest, (got.data, set()))[1].add(repo.rstrip("/"))
        entries[release.name] = LockEntry(release.name, chart, version, repo, got.digest)
        results.append(Pulled(release.name, chart, version, got.digest, DOWNLOADED))
        if progress is not None:
            progress(env.name, release.name, DOWNLOADED)
    for name in [n for n in entries if n not in enabled]:
        if name not in env.catalog.releases or env.catalog.releases[name].source != "chart":
            raise OverlayError(
                f"charts.lock has an entry for '{name}', which is not a chart release",
                location=lock.at(name),
            )
        del entries[name]  # the release is switched off in this env: nothing to pin
    try:
        changed = lock.path.read_text(encoding="utf-8") != render_lock(entries)
    except OSError:
        changed = True
    return EnvPull(env.name, tuple(results), lock, entries, changed)


def _write_lock(path: Path, text: str) -> None:
    try:
        replace_file(path, text.encode())
    except OSError as err:
        raise OutputError(
            f"cannot write the lock file: {err.strerror}", location=Location(path.name)
        ) from None


def pull(
    root: Path, env_names: Sequence[str], relock: bool = False, progress: Progress | None = None
) -> list[EnvPull]:
    envs = [load_environment(root, name) for name in env_names]
    fetched: dict[str, tuple[bytes, set[str]]] = {}
    planned = [_plan_env(env, relock, fetched, progress) for env in envs]
    for digest, (data, origins) in sorted(fetched.items()):
        stored = cache.store(data, origins)
        assert stored == digest
    for item in planned:
        if item.lock_changed:
            _write_lock(item.lock.path, render_lock(item.new_entries))
    return planned
