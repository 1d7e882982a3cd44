"""An environment's own catalog entries: `overlays/<env>/catalog.yaml`.

An operator's helmfile tree holds releases the base catalog does not know (a `sentry`, a
second ingress) and lists each release's values files in an order of its own
(`bcs/values.yaml.gotmpl`, `bcs/resources.yaml.gotmpl`, `bcs-custom-values.yaml.gotmpl`).
Dropping either would render something other than what the operator runs, so the
environment may say both here:

    repositories:  chart repositories beyond the base catalog's
    suites:        suites beyond the base catalog's (a new release needs one)
    releases:
      sentry:      {chart: {repo, name}, suite, seq, namespace, needs, values: [...]}
      bk-repo:     {values: [bkrepo-values.yaml.gotmpl]}   # a base release: where and how

An entry of a base release may change where and how it deploys (namespace, seq, needs,
enabledBy, its chart's name, its values files) or switch it off (`enabled: false`); to make
a `templates:` release of the base a chart (the tree installs `localpv` from a chart), the
entry defines it whole: chart, suite and seq. A new release is a chart release and must
name chart, suite and seq, so a misspelt base release name is an error with a
did-you-mean, not a new release.
Values files must exist: a listed file that is not there would be skipped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bkgen.errors import CatalogError, Location, OverlayError, display_path
from bkgen.errors.suggest import did_you_mean
from bkgen.overlay.catalog import (
    Catalog,
    ChartRef,
    Release,
    plain_credentials_of,
    release_from_entry,
)
from bkgen.overlay.file_schemas import load_checked
from bkgen.safety import confine
from bkgen.secrets.refs import SecretRef, parse_ref
from bkgen.yamlio import position

CATALOG_NAME = "catalog.yaml"
_PLACEMENT = {"namespace", "seq", "needs", "enabledBy", "description", "domains", "suite"}
_ATTRIBUTE = {"enabledBy": "enabled_by"}
_LISTS = {"needs", "domains"}


def with_env_catalog(root: Path, env_dir: Path, catalog: Catalog) -> Catalog:
    """`catalog` with the environment's own entries applied (unchanged without the file)."""
    path = env_dir / CATALOG_NAME
    if not confine.exists(path):
        return catalog
    doc = load_checked(root, path, "env-catalog.schema.json")
    shown = display_path(path, root)
    repos = dict(catalog.repositories)
    for name, repo in (doc.get("repositories") or {}).items():
        url = str(repo["url"])
        if repos.get(str(name), url) != url:
            raise CatalogError(
                f"repository '{name}' is {repos[str(name)]} in the base catalog, not {url}",
                location=_at(shown, doc["repositories"], name),
                hint="give the environment's repository another name, or set a mirror in "
                "env.yaml charts.repositories",
            )
        repos[str(name)] = url
    suites = dict(catalog.suites)
    suites.update({str(k): str(v) for k, v in (doc.get("suites") or {}).items()})
    releases = dict(catalog.releases)
    entries = doc.get("releases") or {}
    for name, entry in entries.items():
        at = _at(shown, entries, name)
        known = releases.get(str(name))
        whole = {"chart", "suite", "seq"} <= set(entry)
        if known is not None and not (known.source != "chart" and whole):
            release = _adjust(known, entry, repos, at)
        else:
            release = _new(str(name), entry, repos, at, releases)
        if "chartCredentials" in entry:
            release = replace(release, chart_credentials=_credentials(release, entry, at))
        if entry.get("enabled") is False:
            release = replace(release, off=f"switched off in {shown}")
        releases[str(name)] = release
        _check_values(root, env_dir, entry, shown)
    return replace(catalog, repositories=repos, suites=suites, releases=releases)


def _at(shown: str, node: Any, key: Any) -> Location:
    return Location(shown, (position(node, key) or (None,))[0])


def _credentials(release: Release, entry: Mapping[str, Any], at: Location) -> dict[str, SecretRef]:
    if release.source != "chart":
        raise CatalogError(
            f"release '{release.name}' is a {release.source} release: chartCredentials names "
            "what a chart writes",
            location=at,
            hint="declare a templates release's secrets as {secretRef: …} values instead",
        )
    declared = entry["chartCredentials"]
    return {
        str(name): parse_ref(ref["secretRef"], _at(at.path, declared, name))
        for name, ref in declared.items()
    }


def _values(entry: Mapping[str, Any]) -> tuple[str, ...] | None:
    return tuple(str(v) for v in entry["values"]) if "values" in entry else None


def _adjust(
    base: Release, entry: Mapping[str, Any], repos: Mapping[str, str], at: Location
) -> Release:
    changes: dict[str, Any] = {"source_file": at.path, "line": at.line}
    if ("chart" in entry or "values" in entry) and base.source != "chart":
        raise CatalogError(
            f"release '{base.name}' is a {base.source} release of the base catalog: it "
            "takes no chart and no values files",
            location=at,
            hint="to replace it with a chart release, give chart, suite and seq",
        )
    if "chart" in entry:
        repo = str(entry["chart"]["repo"])
        if repo not in repos:
            raise CatalogError(
                f"release '{base.name}' uses unknown chart repository '{repo}'",
                location=at,
                hint=did_you_mean(repo, list(repos), "add it under repositories:"),
            )
        changes["chart"] = ChartRef(repo, repos[repo], str(entry["chart"]["name"]))
    for key in _PLACEMENT & set(entry):
        value = entry[key]
        attribute = _ATTRIBUTE.get(key, key)
        changes[attribute] = tuple(str(v) for v in value) if key in _LISTS else str(value)
    values = _values(entry)
    if values is not None:
        changes["values_files"] = values
    if "plainCredentials" in entry:
        changes["plain_credentials"] = plain_credentials_of(base.name, base.source, entry, at)
    elif "chart" in entry and base.chart and changes["chart"].name != base.chart.name:
        # another chart (not the same one from a mirror): the base's list named its values
        changes["plain_credentials"] = ()
    return replace(base, **changes)


def _new(
    name: str,
    entry: Mapping[str, Any],
    repos: Mapping[str, str],
    at: Location,
    known: Mapping[str, Release],
) -> Release:
    missing = [k for k in ("chart", "suite", "seq") if k not in entry]
    if missing:
        raise CatalogError(
            f"release '{name}' is not in the base catalog; a new release needs "
            f"{', '.join(missing)}",
            location=at,
            hint=did_you_mean(name, list(known), "or name a release of the base catalog"),
        )
    plain = {k: v for k, v in entry.items() if k not in ("values", "enabled", "chartCredentials")}
    return replace(release_from_entry(name, plain, repos, at), values_files=_values(entry))


def _check_values(root: Path, env_dir: Path, entry: Mapping[str, Any], shown: str) -> None:
    for index, name in enumerate(entry.get("values") or []):
        if not confine.exists(env_dir / str(name)):
            present = sorted(
                p.relative_to(env_dir).as_posix()
                for p in env_dir.rglob("*.yaml*")
                if p.is_file() and not p.name.startswith(".")
            )
            raise OverlayError(
                f"values file '{name}' does not exist",
                location=_at(shown, entry["values"], index),
                hint=did_you_mean(str(name), present, "list only files of the environment"),
            )


_READS = re.compile(r"""\b(?:readFile|isFile|isDir)\s+"([^"]+)\"""")


def listed_names(env_dir: Path, catalog: Catalog) -> set[str]:
    """Top-level entries of `env_dir` that the env's values file lists account for: the
    files (or their folders) and what their Go templates read with a literal path."""
    names: set[str] = set()
    base = env_dir.resolve()
    for release in catalog.releases.values():
        for name in release.values_files or ():
            path = env_dir / name
            names.add(Path(name).parts[0])
            if not name.endswith(".gotmpl") or not path.is_file():
                continue
            for target in _READS.findall(path.read_text(encoding="utf-8", errors="replace")):
                resolved = (path.parent / target).resolve()
                if resolved.is_relative_to(base) and resolved != base:
                    names.add(resolved.relative_to(base).parts[0])
    return names


_TOP_READ = re.compile(
    r"""(?:\.Values|\.StateValues|\.Environment\.Values)(?:\.([A-Za-z_]\w*)|\s+"([^"]+)")"""
)


def top_keys_read(text: str) -> set[str]:
    """Top-level global keys a Go template reads (`.Values.mysql…`, `index .Values "x"`)."""
    return {a or b for a, b in _TOP_READ.findall(text)}


def global_keys_read(env_dir: Path, catalog: Catalog) -> set[str]:
    """Top-level global keys the env's listed Go templates read (`.Values.mysql…`,
    `index .Values "bk-user"`) and the switches releases follow (`enabledBy`): with
    baseReleaseValues off, these are the global values that matter, and custom.yaml may
    set exactly them beside the base's."""
    keys = {r.enabled_by.split(".")[0] for r in catalog.releases.values() if r.enabled_by}
    for release in catalog.releases.values():
        for name in release.values_files or ():
            path = env_dir / name
            if name.endswith(".gotmpl") and path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                keys.update(top_keys_read(text))
    return keys
