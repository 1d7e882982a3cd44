"""Catalog fit: do the base release values set only value paths the real charts have?

Renders every chart release's base values template (`overlays/base/releases/<r>-values.yaml.j2`)
with the `default` environment's globals, the way bkgen renders it (`overlay.release_layers`),
and walks each value path through the defaults of the real chart: its `values.yaml` with the
`values.yaml` of every bundled subchart under the subchart's name (or alias), as Helm merges
them. The real charts are the packaged charts of the BlueKing 7.0 install tree
`../shared/bkce70/charts/` (read-only; nothing is copied).

A path is known when it exists in the defaults, when the chart's own templates read it
literally (`.Values.a.b`), or when it runs below a key whose default is an
empty mapping, a list, a scalar or null (free-form or replaced as a whole). Anything else is a
path the chart never reads. A release whose pinned version differs from the archive's is
checked against the archive anyway (the nearest real chart here) and marked `archive≠pin`:
its figures are indicative, not a verification of the pinned version.

    python bench/catalog_fit.py [--env default] [--paths] [-o json]

Offline, stdlib + bkgen only; prints a reason and exits 0 when the bkce70 tree is absent.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
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


def _yaml(text: str, where: str) -> Any:
    from bkgen.yamlio import load_text, to_plain

    return to_plain(load_text(text, where))


def _deep_merge(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = _deep_merge(base.get(key), value) if key in base else value
        return merged
    return top


def _chart_defaults(files: Mapping[str, bytes], prefix: str) -> dict[str, Any]:
    """Defaults of the chart at `prefix` (a directory inside an archive), subcharts included."""
    values = _yaml(files.get(f"{prefix}values.yaml", b"").decode(), f"{prefix}values.yaml") or {}
    meta = _yaml(files.get(f"{prefix}Chart.yaml", b"").decode(), f"{prefix}Chart.yaml") or {}
    aliases = {d["name"]: d.get("alias") or d["name"] for d in meta.get("dependencies") or []}
    subcharts: dict[str, dict[str, Any]] = {}
    below = f"{prefix}charts/"
    for name in sorted(files):
        rest = name[len(below) :] if name.startswith(below) else ""
        if rest.endswith("/Chart.yaml") and rest.count("/") == 1:
            sub = rest.split("/")[0]
            subcharts[sub] = _chart_defaults(files, f"{below}{sub}/")
        elif rest.endswith(".tgz") and "/" not in rest:
            inner = _archive_files(files[name])
            top = next(iter(sorted({n.split("/")[0] for n in inner})), "")
            subcharts.setdefault(top, _chart_defaults(inner, f"{top}/"))
    merged: dict[str, Any] = {}
    for sub, defaults in subcharts.items():
        # Helm hands the parent's globals to every subchart: a global a subchart reads is one
        # the parent's values may set.
        merged["global"] = _deep_merge(merged.get("global") or {}, defaults.pop("global", {}))
        merged[aliases.get(sub, sub)] = defaults
    return _deep_merge(merged, values) if isinstance(values, dict) else merged


def _archive_files(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile() and m.name.endswith((".yaml", ".tgz"))
        }


def chart_defaults(archive: Path) -> dict[str, Any]:
    files = _archive_files(archive.read_bytes())
    top = sorted({n.split("/")[0] for n in files})[0]
    return _chart_defaults(files, f"{top}/")


_READ = re.compile(r"\.Values\.([A-Za-z0-9_.]+)")
# `$e_consul := .Values.externalConsul` (also `$root.Values.x`, `$.Values.x`), and
# `$values := $root.Values`: a variable standing for a values path, in the same file.
_ALIAS = re.compile(r"\$(\w+)\s*:=\s*\$?\w*\.Values(?:\.([A-Za-z0-9_.]+))?(?![\w.])")
_USE = re.compile(r"\$(\w+)\.([A-Za-z0-9_.]+)")


def _reads(text: str) -> set[str]:
    found = set(_READ.findall(text))
    aliases: dict[str, str] = dict(_ALIAS.findall(text))
    for var, rest in _USE.findall(text):
        if var in aliases and not rest.startswith("Values"):
            found.add(f"{aliases[var]}.{rest}" if aliases[var] else rest)
    return found


def template_reads(archive: Path) -> set[str]:
    """Every `.Values.a.b.c` the chart's own templates spell out (some charts read keys their
    values.yaml only documents in comments: bk-cmdb's `mongodb.externalMongodb.host`), and
    `$v.c` where the same file set `$v := .Values.a.b` (bk-monitor's `$e_consul.host`)."""
    with tarfile.open(archive, mode="r:gz") as tar:
        texts = [
            tar.extractfile(m).read().decode(errors="replace")  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile() and m.name.split("/")[1:2] == ["templates"]
        ]
    return {path for text in texts for path in _reads(text)}


def leaf_paths(node: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path a values document sets; a `{secretRef: …}` declaration is one value."""
    if isinstance(node, Mapping) and node and set(node) != {"secretRef"}:
        for key, value in node.items():
            yield from leaf_paths(value, (*prefix, str(key)))
    elif prefix:
        yield prefix


def known(path: tuple[str, ...], defaults: Any, reads: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    if ".".join(path) in reads:
        return True
    node = defaults
    for part in path:
        if not isinstance(node, Mapping) or not node:
            return True  # below a scalar, null, list or empty mapping: replaced as a whole
        if part not in node:
            return False
        node = node[part]
    return True


def measure(env_name: str) -> list[Fit]:
    from bkgen.overlay.load import load_environment, release_layers

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
        defaults = chart_defaults(archive) if archive else {}
        reads = template_reads(archive) if archive else set()
        missing = tuple(".".join(p) for p in paths if archive and not known(p, defaults, reads))
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
