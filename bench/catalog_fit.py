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

    python bench/catalog_fit.py [--env default] [--paths] [-o json]

Offline, stdlib + bkgen only; prints a reason and exits 0 when the bkce70 tree is absent.
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

ROOT = Path(__file__).resolve().parent.parent
BKCE70 = ROOT.parent / "shared" / "bkce70"
ARCHIVE = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)\.tgz$")


@dataclass(frozen=True)
class Fit:
    release: str
    chart: str
    pinned: str
    archive: str  # "" when bkce70 has no archive of the chart
    paths: int
    missing: tuple[str, ...]

    @property
    def status(self) -> str:
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


def measure(env_name: str) -> list[Fit]:
    from bkgen.charts.value_paths import archive_paths
    from bkgen.overlay.layers import release_layers
    from bkgen.overlay.load import load_environment

    env = load_environment(ROOT, env_name)
    found = archives(BKCE70 / "charts")
    base_prefix = env.shown(env.base_dir / "releases")
    fits: list[Fit] = []
    for release in sorted(env.catalog.releases.values(), key=lambda r: r.name):
        if release.source != "chart" or release.chart is None:
            continue
        pinned = env.versions.get(release.name, "")
        versions = found.get(release.chart.name, {})
        archive = versions.get(pinned) or (versions[max(versions)] if versions else None)
        layers = [
            layer
            for layer in release_layers(env, release)
            if layer.source == f"{base_prefix}/{release.name}-values.yaml.j2"
        ]
        paths = sorted({p for layer in layers for p in leaf_paths(layer.data or {})})
        chart = archive_paths(archive.read_bytes()) if archive else None
        missing = tuple(".".join(p) for p in paths if chart is not None and not chart.knows(p))
        version = ARCHIVE.match(archive.name)["version"] if archive else ""  # type: ignore[index]
        fits.append(Fit(release.name, release.chart.name, pinned, version, len(paths), missing))
    return fits


def report(fits: list[Fit], show_paths: bool) -> None:
    print(f"{'RELEASE':<22} {'CHART':<26} {'PINNED':<15} {'BKCE70':<9} PATHS MISSING STATUS")
    for fit in fits:
        print(
            f"{fit.release:<22} {fit.chart:<26} {fit.pinned:<15} {fit.archive or '-':<9} "
            f"{fit.paths:>5} {len(fit.missing):>7} {fit.status}"
        )
        if show_paths:
            for path in fit.missing:
                print(f"    missing: {path}")
    for label, group in (
        ("all chart releases", fits),
        ("with a bkce70 archive", [f for f in fits if f.archive]),
        ("verified (pinned == archive)", [f for f in fits if f.status == "verified"]),
    ):
        paths = sum(f.paths for f in group)
        missing = sum(len(f.missing) for f in group)
        affected = sum(1 for f in group if f.missing)
        print(
            f"total, {label}: {len(group)} releases, {paths} paths, {missing} missing, "
            f"{affected} releases affected"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="default")
    parser.add_argument("--paths", action="store_true", help="list every missing path")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    if not (BKCE70 / "charts").is_dir():
        print(f"skipped: the real BlueKing 7.0 tree is absent ({BKCE70} not found)")
        return 0
    fits = measure(args.env)
    if args.output == "json":
        rows = [{**asdict(f), "status": f.status} for f in fits]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        report(fits, args.paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
