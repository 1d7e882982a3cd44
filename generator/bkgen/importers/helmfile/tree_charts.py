"""The chart archives a helmfile tree bundles under `charts/` (or names by a local path):
which versions it holds, and what chart an archive really is (its Chart.yaml, read with a
size bound, never trusted by file name)."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Mapping

import yaml

from bkgen.errors import Location, OverlayError
from bkgen.importers.helmfile.tree_model import HelmfileTree, TreeRelease
from bkgen.safety import confine

MAX_ARCHIVE = 20 * 1024 * 1024


def bundled_archives(tree: HelmfileTree, chart: str) -> list[str]:
    """Archives of `chart` the tree's charts/ holds, oldest version first."""
    found = [
        p.name
        for p in (tree.root / "charts").glob(f"{chart}-*.tgz")
        if re.fullmatch(rf"{re.escape(chart)}-v?\d[^/]*\.tgz", p.name)
    ]
    return sorted(
        found, key=lambda n: [int(x) if x.isdigit() else -1 for x in re.split(r"[.-]", n)]
    )


def chart_of(tree: HelmfileTree, release: TreeRelease) -> tuple[str, str | None, str]:
    chart = release.chart
    if chart.startswith(("./", "../", "/")) or chart.endswith(".tgz"):
        path = (tree.root / release.state_file).parent / chart
        if not confine.inside(path, tree.root):
            raise OverlayError(
                f"chart path {chart} leaves the tree",
                location=Location(release.state_file, release.line),
            )
        data = confine.read_bytes(path, tree.root, limit=MAX_ARCHIVE)
        name, version = archive_chart(data, path.relative_to(tree.root).as_posix())
        if release.version and release.version != version:
            raise OverlayError(
                f"'{release.name}' pins version {release.version} but {chart} is {version}",
                location=Location(release.state_file, release.line),
            )
        return name, None, version
    repo, _, name = chart.partition("/")
    if not release.version:
        raise OverlayError(
            f"release '{release.name}' has no version: bkgen pins every chart",
            location=Location(release.state_file, release.line),
        )
    return name, repo, release.version


def archive_chart(data: bytes, shown: str) -> tuple[str, str]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = next(
                (
                    m
                    for m in archive.getmembers()
                    if m.name.count("/") == 1
                    and m.name.endswith("/Chart.yaml")
                    and m.isfile()
                    and m.size < 1 << 20
                ),
                None,
            )
            raw = archive.extractfile(member).read() if member else None  # type: ignore[union-attr]
        meta = yaml.safe_load(raw) if raw else None
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError):
        meta = None
    if not isinstance(meta, Mapping) or "name" not in meta or "version" not in meta:
        raise OverlayError("not a chart archive (no valid Chart.yaml)", location=Location(shown))
    return str(meta["name"]), str(meta["version"])
