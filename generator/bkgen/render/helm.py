"""`chart:` releases: the real Helm engine when the chart is here, Argo CD otherwise.

Charts come from the environment's charts directory (`overlays/<env>/charts/`,
like bkhelmfile's `charts/`): `<chart>-<version>.tgz` or a `<chart>/` directory.
The pinned version must match the chart's own: rendering a different version
than the one pinned would make the committed tree lie. Nothing is downloaded.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from bkgen.catalog import Release
from bkgen.errors import Location, RenderError
from bkgen.overlay import Environment, release_namespace
from bkgen.render import MODE_ARGOCD_HELM, MODE_HELM, Manifest, RenderedRelease
from bkgen.render.documents import split_documents
from bkgen.yamlio import load_all_plain

# Helm hooks that are tests or notes are for `helm test`/humans, not for the cluster.
_SKIPPED = re.compile(r"(^|/)templates/(NOTES\.txt$|tests/)")


def find_chart(env: Environment, release: Release) -> Path | None:
    """The local chart for `release` at its pinned version, or None when absent."""
    assert release.chart is not None
    directory = env.settings.charts_dir
    version = env.versions[release.name]
    for candidate in (
        directory / f"{release.chart.name}-{version}.tgz",
        directory / f"{release.chart.name}-{version.removeprefix('v')}.tgz",
        directory / release.chart.name,
    ):
        if candidate.is_file() or (candidate / "Chart.yaml").is_file():
            return candidate
    return None


def _clean(message: str, path: Path, shown: str) -> str:
    """Helm errors quote absolute paths of this machine; show the repo-relative one."""
    text = message.replace(str(path.resolve()), shown).replace(str(path), shown)
    return " ".join(text.split())


def render(env: Environment, release: Release, values: dict[str, Any]) -> RenderedRelease:
    assert release.chart is not None
    mode = env.settings.charts_mode
    path = None if mode == "remote" else find_chart(env, release)
    if path is None:
        if mode == "local":
            raise RenderError(
                f"chart {release.chart.name} {env.versions[release.name]} for release "
                f"'{release.name}' is not in the charts directory",
                location=Location(env.shown(env.settings.charts_dir)),
                hint=f"add {release.chart.name}-{env.versions[release.name]}.tgz "
                "or set charts.mode: auto",
            )
        return RenderedRelease(release.name, MODE_ARGOCD_HELM, (), values)
    return _render_local(env, release, values, path)


def _render_local(
    env: Environment, release: Release, values: dict[str, Any], path: Path
) -> RenderedRelease:
    # The Helm engine is a Go runtime of its own (tens of MB); load it only when a chart is
    # rendered here, not for every bkgen command that imports the pipeline.
    import helm_python

    shown = env.shown(path)
    pinned = env.versions[release.name]
    try:
        chart = helm_python.Chart.load(path)
    except helm_python.HelmError as err:
        raise RenderError(
            f"cannot load chart: {_clean(str(err), path, shown)}", location=Location(shown)
        ) from None
    try:
        actual = str(chart.metadata.get("version", ""))
        if actual.removeprefix("v") != pinned.removeprefix("v"):
            raise RenderError(
                f"chart version {actual} does not match the pinned {pinned} of '{release.name}'",
                location=Location(shown),
                hint=f"bkgen bump {release.name} {actual}, or replace the chart",
            )
        try:
            files = chart.render(
                values=values, name=release.name, namespace=release_namespace(env, release)
            )
        except helm_python.HelmError as err:
            raise RenderError(
                f"helm template failed: {_clean(str(err), path, shown)}",
                location=Location(shown),
            ) from None
        manifests: list[Manifest] = []
        for crd in sorted(chart.crds or [], key=lambda c: str(c.get("filename", ""))):
            manifests.extend(_crd_manifests(crd, shown))
        for name in sorted(files):
            if _SKIPPED.search(name) or not name.endswith((".yaml", ".yml", ".tpl", ".json")):
                continue
            if name.endswith(".tpl"):
                continue
            for manifest in split_documents(files[name], f"{shown}:{name}"):
                if _is_test_hook(manifest.body):
                    continue
                manifests.append(manifest)
    finally:
        chart.close()
    return RenderedRelease(release.name, MODE_HELM, tuple(manifests), values)


def _crd_manifests(crd: Any, shown: str) -> list[Manifest]:
    data = crd.get("data", "")
    if isinstance(data, bytes):
        text = data.decode("utf-8")
    elif isinstance(data, str):
        try:
            text = data if ":" in data else base64.b64decode(data).decode("utf-8")
        except ValueError:
            text = data
    else:
        return []
    source = f"{shown}:{crd.get('filename', 'crds')}"
    try:
        list(load_all_plain(text, source))
    except ValueError as err:
        raise RenderError(f"invalid CRD file: {err}", location=Location(shown)) from None
    return split_documents(text, source)


def _is_test_hook(body: dict[str, Any]) -> bool:
    hooks = str((body.get("metadata") or {}).get("annotations", {}).get("helm.sh/hook", ""))
    return any(h.strip() in {"test", "test-success", "test-failure"} for h in hooks.split(","))
