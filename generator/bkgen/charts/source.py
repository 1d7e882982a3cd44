"""Where the chart of a release comes from at render time: the env's charts/ or the cache.

Order: `overlays/<env>/<charts.dir>/<chart>-<version>.tgz` or `<chart>/` (vendored, as
bkhelmfile's charts/), then the cache entry the env's `charts.lock` pins. Nothing is
downloaded here. A vendored archive with a lock entry is verified against it too.

A chart directory is loaded from a private copy that holds regular files only: a symlink
that leaves the chart (`env.txt -> /proc/self/environ` read by `.Files.Get`) is refused
with the link and its target; one that stays inside is copied as the file it points to.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from bkgen.charts import cache
from bkgen.charts.lock import ChartLock, read_lock, require_fresh
from bkgen.errors import Location, OverlayError, RenderError
from bkgen.errors.suggest import did_you_mean
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment
from bkgen.safety import confine

CHART_HINT = "charts must be files inside the repository"
MAX_CHART_FILES = 5000
MAX_CHART_BYTES = cache.MAX_ARCHIVE_BYTES


@dataclass(frozen=True)
class ChartSource:
    shown: str  # what errors and the summary call it, repo-relative
    archive: bytes | None = None  # a verified archive (charts dir or cache)
    directory: Path | None = None  # a vendored chart directory


def repository_url(env: Environment, release: Release) -> str:
    """The catalog's repository, or the env's mirror of it (`charts.repositories`)."""
    assert release.chart is not None
    return env.settings.chart_repositories.get(release.chart.repo, release.chart.repo_url)


def local_chart(
    env: Environment, release: Release, lock: ChartLock | None = None
) -> ChartSource | None:
    """The chart to render here, or None when Argo CD renders it (`charts.mode: remote`, or
    found nowhere). Pass the env's lock when locating many releases: it is read once."""
    if env.settings.charts_mode == "remote":
        return None
    return locate(env, release, lock)


def locate(env: Environment, release: Release, lock: ChartLock | None = None) -> ChartSource | None:
    assert release.chart is not None
    lock = lock if lock is not None else read_lock(env.root, env.env_dir)
    version = env.versions[release.name]
    entry = require_fresh(
        lock, release.name, release.chart.name, version, repository_url(env, release)
    )
    directory = env.settings.charts_dir
    for candidate in (
        directory / f"{release.chart.name}-{version}.tgz",
        directory / f"{release.chart.name}-{version.removeprefix('v')}.tgz",
    ):
        if candidate.is_file() or candidate.is_symlink():
            data = confine.read_bytes(candidate, env.root, limit=MAX_CHART_BYTES)
            digest = cache.sha256_digest(data)
            if entry is not None and entry.digest != digest:
                raise RenderError(
                    f"{candidate.name} has digest {digest}, charts.lock pins {entry.digest}",
                    location=Location(env.shown(candidate)),
                    hint=f"bkgen charts lock {env.name} if the new archive is intended",
                )
            return ChartSource(env.shown(candidate), archive=data)
    chart_dir = directory / release.chart.name
    if (chart_dir / "Chart.yaml").exists():
        confine.refuse_link_out(chart_dir, env.root, shown=env.shown(chart_dir), hint=CHART_HINT)
        return ChartSource(env.shown(chart_dir), directory=chart_dir)
    if entry is None:
        return None
    cached = cache.read(entry.digest, lock.at(release.name))
    if cached is None:
        # Locked but absent: rendering it through Argo CD instead would make the tree
        # depend on this machine's cache. The lock says "render here"; so must every render.
        raise OverlayError(
            f"chart {release.chart.name} {version} of '{release.name}' is locked but not in "
            "the chart cache",
            location=lock.at(release.name),
            hint=f"bkgen charts pull {env.name} (BKGEN_CHART_CACHE moves the cache)",
        )
    if entry.repository.rstrip("/") not in cache.served_by(entry.digest):
        raise RenderError(
            f"cached chart {entry.digest[:19]} was never pulled from {entry.repository}, "
            f"the repository charts.lock names for '{release.name}'",
            location=lock.at(release.name),
            hint=f"bkgen charts pull {env.name} fetches it from there (and verifies it)",
        )
    return ChartSource(f"{release.chart.name}-{version}.tgz ({entry.digest[:19]})", archive=cached)


def account_charts(env: Environment) -> None:
    """Raise for an entry of the env's charts/ that no render would read.

    Without this a typo (`bk-cmbd/`), an archive of another version, or a chart directory
    that lost its Chart.yaml is skipped, and the locked chart, or Argo CD, renders instead.
    """
    directory = env.settings.charts_dir
    if not directory.is_dir():
        return
    wanted: dict[str, str] = {}  # entry name -> release
    for release in env.plan.releases:
        if release.chart is not None:
            version = env.versions[release.name]
            for name in (release.chart.name, f"{release.chart.name}-{version}.tgz"):
                wanted[name] = release.name
            wanted[f"{release.chart.name}-{version.removeprefix('v')}.tgz"] = release.name
    off = {
        r.chart.name: n
        for n, r in env.catalog.releases.items()
        if r.chart is not None and n in env.plan.disabled
    }
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith(".") or name.upper().startswith("README"):
            continue
        where = Location(env.shown(entry))
        if env.settings.charts_mode == "remote":
            raise OverlayError(
                "charts.mode is remote: Argo CD renders every chart, this one is never read",
                location=where,
                hint="remove it, or set charts.mode: auto to render vendored charts here",
            )
        if name in wanted:
            if entry.is_dir() and not (entry / "Chart.yaml").is_file():
                raise OverlayError("chart directory without Chart.yaml", location=where)
            continue
        chart = name.removesuffix(".tgz").rsplit("-", 1)[0] if name.endswith(".tgz") else name
        owner = wanted.get(chart)
        hint: str | None
        if owner is not None:
            why = f"'{owner}' is pinned to {env.versions[owner]}, not this archive's version"
            hint = f"bkgen bump {owner} VERSION, or remove the archive"
        elif chart in off:
            why = f"'{off[chart]}' is off in this environment ({env.plan.disabled[off[chart]]})"
            hint = "remove it"
        else:
            why = "no chart release of this environment uses it"
            hint = did_you_mean(name, sorted(wanted), "names: <chart>/ or <chart>-<version>.tgz")
        raise OverlayError(f"bkgen does not read this chart: {why}", location=where, hint=hint)


def confined_copy(env: Environment, chart_dir: Path, dest: Path) -> Path:
    """Copy `chart_dir` into `dest` with regular files only; links out are refused."""
    boundary = chart_dir.resolve()
    count = 0
    size = 0
    target_root = dest / chart_dir.name
    for current, dirs, files in os.walk(chart_dir, followlinks=False):
        here = Path(current)
        rel = here.relative_to(chart_dir)
        (target_root / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(dirs):
            if (here / name).is_symlink():  # a linked directory, even inside, is refused
                _refuse_link(env, here / name, None)
        for name in sorted(files):
            item = here / name
            count += 1
            if count > MAX_CHART_FILES:
                raise OverlayError(
                    f"chart has more than {MAX_CHART_FILES} files",
                    location=Location(env.shown(chart_dir)),
                )
            real = _refuse_link(env, item, boundary) if item.is_symlink() else item
            try:
                info = real.stat()
            except OSError:
                raise OverlayError(
                    "dangling symlink in chart", location=Location(env.shown(item))
                ) from None
            if not stat.S_ISREG(info.st_mode):
                raise OverlayError("not a regular file", location=Location(env.shown(item)))
            size += info.st_size
            if size > MAX_CHART_BYTES:
                raise OverlayError(
                    f"chart is larger than {MAX_CHART_BYTES} bytes",
                    location=Location(env.shown(chart_dir)),
                )
            shutil.copyfile(real, target_root / rel / name)
    return target_root


def _refuse_link(env: Environment, link: Path, boundary: Path | None) -> Path:
    return confine.refuse_link_out(
        link,
        boundary,
        shown=env.shown(link),
        what="the chart",
        hint="a chart may only contain its own files; copy the file into the chart",
    )
