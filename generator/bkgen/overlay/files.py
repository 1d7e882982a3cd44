"""Which files an environment directory may hold, and what each one is: the list, once.

A file bkgen does not read is worse than an error: `bk-cmbd-custom-values.yaml.j2` (a typo)
or `bk-cmdb-custom-values.yaml` (no `.j2`) would render exit 0 and the override would
simply not happen. So every entry of `overlays/<env>/` must be one of `KNOWN_FILES`, a
known directory, or a values layer of a chart release of the catalog; anything else is an
`OverlayError` naming the file, with the name the user most likely meant.

This module only classifies names; reading the files is `load.py`, `templatesets.py` and
`charts/`. It does not look inside `templatesets/` or the charts directory (their owners
check those), and it does not follow or judge symlinks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bkgen.charts.lock import LOCK_NAME
from bkgen.errors import Location, OverlayError, display_path
from bkgen.errors.suggest import closest
from bkgen.overlay.catalog import Catalog
from bkgen.overlay.templatesets import SETS_DIR

VALUES_SUFFIX = "-values.yaml.j2"
CUSTOM_VALUES_SUFFIX = "-custom-values.yaml.j2"

# name -> what it holds (docs/overlays.md "Adding an environment" has the same table)
KNOWN_FILES = {
    "env.yaml": "where and how to deploy: kubeVersion, suites, git, argocd, charts, validation",
    "custom.yaml": "overrides of the global values in overlays/base/values.yaml",
    "versions.yaml": "per-env chart version pins",
    "catalog.yaml": "the env's own releases and per-release values file lists",
    LOCK_NAME: "chart digests (`bkgen charts lock`)",
    "bcs.yaml": "BCS project and cluster of the template sets",
    "README.md": "notes for humans; not read",
}
KNOWN_DIRS = {SETS_DIR: "BCS template sets (`bkgen import bcs-template`)"}
# What people write when they mean one of the known files.
_MEANT = {
    "values.yaml": "custom.yaml",
    "values.yml": "custom.yaml",
    "custom.yml": "custom.yaml",
    "env.yml": "env.yaml",
    "version.yaml": "versions.yaml",
}


@dataclass(frozen=True)
class OverlayFile:
    """One entry of the environment directory and what bkgen does with it."""

    name: str
    kind: str  # "file", "dir", "charts", "release-values", "release-custom-values", "listed"
    release: str | None = None


def values_file_names(catalog: Catalog) -> dict[str, OverlayFile]:
    """`<release>-values.yaml.j2` and `<release>-custom-values.yaml.j2` of each chart release.

    Only chart releases read values files; a `templates:` or `workflow:` release reads the
    global values, so a values file for one would be silently ignored.
    """
    out: dict[str, OverlayFile] = {}
    for name, release in catalog.releases.items():
        if release.source != "chart":
            continue
        out[name + VALUES_SUFFIX] = OverlayFile(name + VALUES_SUFFIX, "release-values", name)
        custom = name + CUSTOM_VALUES_SUFFIX
        out[custom] = OverlayFile(custom, "release-custom-values", name)
    return out


def expected(catalog: Catalog, charts_dir: str) -> dict[str, OverlayFile]:
    """Every top-level name an environment may hold."""
    out = {n: OverlayFile(n, "file") for n in KNOWN_FILES}
    out.update({n: OverlayFile(n, "dir") for n in KNOWN_DIRS})
    top = PurePosixPath(charts_dir).parts[0] if charts_dir else "charts"
    out[top] = OverlayFile(top, "charts")
    out.update(values_file_names(catalog))
    return out


def account(
    root: Path, env_dir: Path, catalog: Catalog, charts_dir: str, listed: Iterable[str] = ()
) -> None:
    """Raise for the first entry of `env_dir` (by name) bkgen would ignore.

    `listed`: top-level names the env's catalog.yaml reads (values files it lists, files
    and folders their templates read). Hidden entries (`.gitkeep`, editor files) are
    skipped: git and editors own them.
    """
    known = expected(catalog, charts_dir)
    for name in listed:
        known.setdefault(name, OverlayFile(name, "listed"))
    for path in sorted(env_dir.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        entry = known.get(path.name)
        is_dir = path.is_dir()
        if entry is None or (
            entry.kind != "listed" and (entry.kind in ("dir", "charts")) != is_dir
        ):
            raise _unaccounted(root, path, is_dir, known, catalog)


def _unaccounted(
    root: Path, path: Path, is_dir: bool, known: dict[str, OverlayFile], catalog: Catalog
) -> OverlayError:
    name = path.name
    shown = display_path(path, root)
    if is_dir and name in known:  # a known file name used for a directory
        return OverlayError("is a directory, not a file", location=Location(shown))
    if is_dir:
        dirs = [n for n, e in known.items() if e.kind in ("dir", "charts")]
        match = closest(name, dirs)
        return OverlayError(
            "directory bkgen does not read",
            location=Location(shown),
            hint=f"did you mean '{match}/'?" if match else f"known directories: {', '.join(dirs)}",
        )
    if name in known:  # a known directory name used for a file
        return OverlayError(f"'{name}' must be a directory", location=Location(shown))
    return OverlayError(
        "file bkgen does not read (it matches no release and no known overlay file)",
        location=Location(shown),
        hint=_hint(name, known, catalog),
    )


def _hint(name: str, known: dict[str, OverlayFile], catalog: Catalog) -> str:
    if name.endswith(".gotmpl"):
        return "list it under releases.<release>.values in the env's catalog.yaml"
    if name + ".j2" in known:
        return f"values files are jinja2 templates: rename it to '{name}.j2'"
    if name.endswith((".yml", ".yml.j2")):
        fixed = name.replace(".yml", ".yaml")
        if fixed in known:
            return f"rename it to '{fixed}'"
    if name in _MEANT:
        return f"did you mean '{_MEANT[name]}'? It holds the {KNOWN_FILES[_MEANT[name]]}"
    for suffix in (CUSTOM_VALUES_SUFFIX, VALUES_SUFFIX):
        stem = name.removesuffix(suffix).removesuffix(suffix.removesuffix(".j2"))
        if stem == name:
            continue
        release = catalog.releases.get(stem)
        if release is not None and release.source != "chart":
            return (
                f"'{stem}' is a {release.source} release and reads no values file; "
                "set global values in custom.yaml"
            )
        match = closest(stem, _chart_releases(catalog))
        if match is not None:
            return f"did you mean '{match}{suffix}'?"
        break
    match = closest(name, known)
    if match is not None:
        return f"did you mean '{match}'?"
    return (
        f"an environment holds {', '.join(KNOWN_FILES)}, <release>{VALUES_SUFFIX} and "
        f"<release>{CUSTOM_VALUES_SUFFIX} (docs/overlays.md)"
    )


def _chart_releases(catalog: Catalog) -> Iterable[str]:
    return [n for n, r in catalog.releases.items() if r.source == "chart"]
