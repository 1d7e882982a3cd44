"""Catalog fit: do the base release values set only value paths the real charts have?

Renders every chart release's base values template (`overlays/base/releases/<r>-values.yaml.j2`)
with the `default` environment's globals, the way bkgen renders it (`overlay.release_layers`),
and asks the real chart whether it defines each value path (`bkgen.charts.value_paths`, the
check `bkgen render` makes when a chart is here: Helm's coalesced defaults, subcharts
included, and what its templates read). The real charts are the packaged charts of the
BlueKing 7.0 install tree `../shared/bkce70/charts/` (read-only; nothing is copied).

A path is known when it exists in the defaults, when the chart's own templates read it
(`.Values.a.b`, or `$e.b` after `$e := .Values.a`), or when it runs below a key whose default
is an empty mapping, a list, a scalar or null (free-form or replaced as a whole). Anything else is a
path the chart never reads. A release whose pinned version differs from the archive's is
checked against the archive anyway (the nearest real chart here) and marked `archive≠pin`:
its figures are indicative, not a verification of the pinned version.

A chart at a version bkce70 does not ship can be verified against a recorded upstream fact:
`bench/upstream_paths/<chart>-<version>.txt`, the value paths of the real chart at that
version (its defaults' leaves, subcharts coalesced, and its templates' `.Values` reads), read
from the chart's public source repository at a named commit. Its header says where from:

    # chart: mysql 9.4.4
    # repo: bitnami/charts
    # path: bitnami/mysql
    # commit: <40 hex digits>

and every other line is one dotted path. Such a release is `verified (upstream)`; the same
rule applies (a path is known when listed, above a listed path, or below one). The facts are
recorded once, from a chart assembled out of the source repository at that commit:

    python bench/catalog_fit.py --record CHART.tgz --repo OWNER/NAME --path DIR --commit SHA

    python bench/catalog_fit.py [--env default] [--paths] [-o json]

Offline, stdlib + bkgen only; without the bkce70 tree only the upstream facts are checked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bkgen.charts.value_paths import ListedPaths

ROOT = Path(__file__).resolve().parent.parent
BKCE70 = ROOT.parent / "shared" / "bkce70"
UPSTREAM = Path(__file__).resolve().parent / "upstream_paths"
ARCHIVE = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)\.tgz$")
HEADER = re.compile(r"^# (?P<key>[a-z]+): (?P<value>.+)$")
SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class UpstreamPaths:
    """The recorded value paths of one chart version, and where they were read."""

    chart: str
    version: str
    repo: str
    path: str
    commit: str
    tag: str
    paths: frozenset[str]

    @property
    def source(self) -> str:
        return f"{self.repo} {self.path}@{self.tag or self.commit[:12]}"

    def knows(self, path: tuple[str, ...]) -> bool:
        """The product's rule for a chart's template reads (listed, above one, below one)."""
        return ListedPaths.of(self.paths).covers(path)


def load_upstream(file: Path) -> UpstreamPaths:
    """Parse one fact file; a header that does not name its chart, source and commit, or a
    name that does not match the header, is an error (a fact without a source is no fact)."""
    header: dict[str, str] = {}
    paths: set[str] = set()
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#"):
            match = HEADER.match(line)
            if match:
                header[match["key"]] = match["value"].strip()
        elif line.strip():
            if line != line.strip() or " " in line:
                raise ValueError(f"{file.name}:{number}: not a dotted path: {line!r}")
            paths.add(line)
    missing = [k for k in ("chart", "repo", "path", "commit") if k not in header]
    if missing:
        raise ValueError(f"{file.name}: header lacks {', '.join(missing)}")
    chart, _, version = header["chart"].partition(" ")
    if file.name != f"{chart}-{version}.txt":
        raise ValueError(f"{file.name}: header names {chart} {version}")
    if not SHA.match(header["commit"]):
        raise ValueError(f"{file.name}: commit is not a full sha: {header['commit']}")
    if not paths:
        raise ValueError(f"{file.name}: no paths")
    return UpstreamPaths(
        chart,
        version,
        header["repo"],
        header["path"],
        header["commit"],
        header.get("tag", ""),
        frozenset(paths),
    )


def upstream_facts(directory: Path = UPSTREAM) -> dict[tuple[str, str], UpstreamPaths]:
    """{(chart, version): facts} of every recorded fact file."""
    facts = [load_upstream(f) for f in sorted(directory.glob("*.txt"))]
    return {(f.chart, f.version): f for f in facts}


@dataclass(frozen=True)
class Fit:
    release: str
    chart: str
    pinned: str
    archive: str  # "" when bkce70 has no archive of the chart
    paths: int
    missing: tuple[str, ...]
    upstream: str = ""  # the recorded fact's source, when the check used one

    @property
    def status(self) -> str:
        if self.upstream:
            return "verified (upstream)"
        if not self.archive:
            return "no archive"
        return "verified" if self.archive == self.pinned else "archive≠pin"


def archives(charts_dir: Path) -> dict[str, dict[str, Path]]:
    """{chart name: {version: archive}} of the packaged charts."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(charts_dir.glob("*.tgz")):
        match = ARCHIVE.match(path.name)
        if match:
            found.setdefault(match["name"], {})[match["version"]] = path
    return found


def leaf_paths(node: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path a values document sets; a `{secretRef: …}` declaration is one value."""
    if isinstance(node, Mapping) and node and set(node) != {"secretRef"}:
        for key, value in node.items():
            yield from leaf_paths(value, (*prefix, str(key)))
    elif prefix:
        yield prefix


def base_paths(env: Any, release: Any) -> list[tuple[str, ...]]:
    """The value paths a release's base values template sets, rendered for `env`."""
    from bkgen.overlay.layers import release_layers

    source = f"{env.shown(env.base_dir / 'releases')}/{release.name}-values.yaml.j2"
    layers = [layer for layer in release_layers(env, release) if layer.source == source]
    return sorted({p for layer in layers for p in leaf_paths(layer.data or {})})


def measure(env_name: str) -> list[Fit]:
    from bkgen.charts.value_paths import archive_paths
    from bkgen.overlay.load import load_environment

    env = load_environment(ROOT, env_name)
    found = archives(BKCE70 / "charts") if (BKCE70 / "charts").is_dir() else {}
    facts = upstream_facts()
    fits: list[Fit] = []
    for release in sorted(env.catalog.releases.values(), key=lambda r: r.name):
        if release.source != "chart" or release.chart is None:
            continue
        pinned = env.versions.get(release.name, "")
        versions = found.get(release.chart.name, {})
        archive = versions.get(pinned) or (versions[max(versions)] if versions else None)
        version = ARCHIVE.match(archive.name)["version"] if archive else ""  # type: ignore[index]
        fact = facts.get((release.chart.name, pinned)) if version != pinned else None
        paths = base_paths(env, release)
        chart: Any = fact or (archive_paths(archive.read_bytes()) if archive else None)
        missing = tuple(".".join(p) for p in paths if chart is not None and not chart.knows(p))
        fits.append(
            Fit(
                release.name,
                release.chart.name,
                pinned,
                version,
                len(paths),
                missing,
                fact.source if fact else "",
            )
        )
    return fits


def report(fits: list[Fit], show_paths: bool) -> None:
    print(f"{'RELEASE':<22} {'CHART':<26} {'PINNED':<15} {'BKCE70':<9} PATHS MISSING STATUS")
    for fit in fits:
        print(
            f"{fit.release:<22} {fit.chart:<26} {fit.pinned:<15} {fit.archive or '-':<9} "
            f"{fit.paths:>5} {len(fit.missing):>7} {fit.status}"
            + (f"  [{fit.upstream}]" if fit.upstream else "")
        )
        if show_paths:
            for path in fit.missing:
                print(f"    missing: {path}")
    for label, group in (
        ("all chart releases", fits),
        ("with a bkce70 archive", [f for f in fits if f.archive]),
        ("verified (pinned == archive)", [f for f in fits if f.status == "verified"]),
        ("verified (upstream fact)", [f for f in fits if f.upstream]),
        ("not verified", [f for f in fits if not f.status.startswith("verified")]),
    ):
        paths = sum(f.paths for f in group)
        missing = sum(len(f.missing) for f in group)
        affected = sum(1 for f in group if f.missing)
        print(
            f"total, {label}: {len(group)} releases, {paths} paths, {missing} missing, "
            f"{affected} releases affected"
        )


def record(
    archive: Path, repo: str, path: str, commit: str, tag: str = "", subcharts: str = ""
) -> Path:
    """Write the fact file of the chart `archive` (assembled from `repo`'s `path` at
    `commit`): its defaults' leaves and its templates' reads, one dotted path a line."""
    from bkgen.charts.value_paths import archive_paths

    if not SHA.match(commit):
        raise SystemExit(f"catalog_fit: --commit must be a full sha, got {commit!r}")
    chart = archive_paths(archive.read_bytes())
    if chart is None:
        raise SystemExit(f"catalog_fit: {archive.name}: not a chart the engine can load")
    # a key with a dot in it (`prometheus.io/port`) cannot be spelled as a dotted path: its
    # mapping is recorded as the leaf, free-form below, as an annotations map is
    paths = {
        ".".join(p[: next((i for i, k in enumerate(p) if "." in k), len(p))])
        for p in leaf_paths(chart.defaults)
    } | set(chart.reads)
    header = [
        f"# chart: {chart.name} {chart.version}",
        f"# repo: {repo}",
        f"# path: {path}",
        f"# commit: {commit}",
        *([f"# tag: {tag}"] if tag else []),
        *([f"# subcharts: {subcharts}"] if subcharts else []),
        "# what: the chart's defaults (values.yaml, subcharts under their names) as leaf",
        "#   paths, and the .Values paths its templates read; recorded by catalog_fit --record",
    ]
    body = sorted(p for p in paths if " " not in p)
    out = UPSTREAM / f"{chart.name}-{chart.version}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join([*header, *body]) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="default")
    parser.add_argument("--paths", action="store_true", help="list every missing path")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument("--record", type=Path, metavar="CHART.tgz", help="record a fact file")
    parser.add_argument("--repo", help="with --record: the source repository (owner/name)")
    parser.add_argument("--path", help="with --record: the chart's folder in that repository")
    parser.add_argument("--commit", help="with --record: the commit the chart was read at")
    parser.add_argument("--tag", default="", help="with --record: the tag of that commit")
    parser.add_argument(
        "--subcharts", default="", help="with --record: subcharts and their commits"
    )
    args = parser.parse_args(argv)
    if args.record:
        if not (args.repo and args.path and args.commit):
            parser.error("--record needs --repo, --path and --commit")
        print(
            record(
                args.record, args.repo, args.path, args.commit, args.tag, args.subcharts
            ).relative_to(ROOT)
        )
        return 0
    if not (BKCE70 / "charts").is_dir():
        print(f"note: the real BlueKing 7.0 tree is absent ({BKCE70.name}): upstream facts only")
    fits = measure(args.env)
    if args.output == "json":
        rows = [{**asdict(f), "status": f.status} for f in fits]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        report(fits, args.paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
