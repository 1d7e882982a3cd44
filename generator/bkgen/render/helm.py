"""`chart:` releases: the real Helm engine when the chart is here, Argo CD otherwise.

The chart comes from `bkgen.charts.source` (the env's charts/ or the digest-pinned cache).
The pinned version must match the chart's own: rendering a different version than the one
pinned would make the committed tree lie. Nothing is downloaded here.

Capabilities follow the environment: `.Capabilities.KubeVersion` is the env's kubeVersion
and `.Capabilities.APIVersions` holds the Kubernetes built-ins of that version plus the
API versions the env's releases provide (see `overlay/capabilities.py`). Helm's own warnings
(`skipped value for …: Not a table`) are written by the Go runtime to the process's stderr;
they are captured per release and reported in the render summary instead.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen.charts.source import ChartSource, confined_copy
from bkgen.errors import Location, RenderError
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment, release_namespace
from bkgen.render import MODE_ARGOCD_HELM, MODE_HELM, Manifest, RenderedRelease
from bkgen.render.documents import split_documents
from bkgen.render.hooks import translate

# Notes and helpers are for humans and other templates, not for the cluster.
NOT_PULLED = "not pulled"
_SKIPPED = re.compile(r"(^|/)templates/(NOTES\.txt$|tests/)")
_WARNING = re.compile(r"^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?(?:warning: )?(.*)$")


def render(
    env: Environment,
    release: Release,
    values: dict[str, Any],
    api_versions: Sequence[str],
    source: ChartSource | None,
) -> RenderedRelease:
    """`source` is `charts.source.local_chart(env, release)`: None leaves it to Argo CD."""
    assert release.chart is not None
    mode = env.settings.charts_mode
    if source is None:
        version = env.versions[release.name]
        if mode == "local":
            raise RenderError(
                f"chart {release.chart.name} {version} for release '{release.name}' is neither "
                "in the charts directory nor pulled",
                location=Location(env.shown(env.settings.charts_dir)),
                hint=f"bkgen charts pull {env.name}, or set charts.mode: auto",
            )
        note = (
            "chart rendered by Argo CD (charts.mode: remote)"
            if mode == "remote"
            else f"{NOT_PULLED}: {release.chart.name} {version} is not in charts/ or the cache"
        )
        return RenderedRelease(release.name, MODE_ARGOCD_HELM, (), values, (note,))
    return _render_local(env, release, values, source, api_versions)


def _clean(message: str, paths: Sequence[Path], shown: str) -> str:
    """Helm errors quote absolute paths of this machine; show the repo-relative one."""
    text = message
    for path in paths:
        text = text.replace(str(path.resolve()), shown).replace(str(path), shown)
    return " ".join(text.split())


@contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """The Go runtime writes warnings to fd 2 directly; collect them instead."""
    lines: list[str] = []
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read(64 * 1024).decode("utf-8", errors="replace")
            for line in text.splitlines():
                match = _WARNING.match(line.strip())
                if match and match.group(1):
                    lines.append(match.group(1))


def _load(source: ChartSource, scratch: Path, env: Environment) -> Any:
    import helm_python

    if source.archive is not None:
        return helm_python.Chart.load_archive(source.archive)
    assert source.directory is not None
    return helm_python.Chart.load(confined_copy(env, source.directory, scratch))


def _helm_render(chart: Any, values: Mapping[str, Any], options: Mapping[str, Any]) -> Any:
    """helm_render with kube_version/api_versions, which `Chart.render` does not expose; the
    library rejects unknown options, so a rename upstream fails loudly."""
    from helm_python import _native

    raw = _native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(options))
    return json.loads(raw)


@dataclass(frozen=True)
class ChartReplay:
    """The chart again, from the same bytes: only a refused Secret asks for it (what the
    chart generates, which value feeds a key), so nothing here runs on a clean render."""

    env: Environment
    source: ChartSource
    options: Mapping[str, Any]

    @contextmanager
    def _chart(self) -> Iterator[Any]:
        with tempfile.TemporaryDirectory(prefix="bkgen-chart-") as scratch:
            chart = _load(self.source, Path(scratch), self.env)
            try:
                yield chart
            finally:
                chart.close()

    def render(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        with self._chart() as chart, _captured_stderr():
            files = _helm_render(chart, values, self.options)
            return [m.body for m in _manifests(chart, files, self.source.shown)[0]]

    def merged_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The chart's defaults coalesced with `values`, as an install would use them."""
        with self._chart() as chart, _captured_stderr():
            merged: dict[str, Any] = chart.merge_values(values)
            return merged


def _render_local(
    env: Environment,
    release: Release,
    values: dict[str, Any],
    source: ChartSource,
    api_versions: Sequence[str],
) -> RenderedRelease:
    # The Helm engine is a Go runtime of its own (tens of MB); load it only when a chart is
    # rendered here, not for every bkgen command that imports the pipeline.
    import helm_python

    shown = source.shown
    pinned = env.versions[release.name]
    options = {
        "name": release.name,
        "namespace": release_namespace(env, release),
        "kube_version": f"v{env.settings.kube_version}.0",
        "api_versions": list(api_versions),
    }
    with tempfile.TemporaryDirectory(prefix="bkgen-chart-") as scratch:
        scratch_path = Path(scratch)
        quoted = [scratch_path] + ([source.directory] if source.directory else [])
        try:
            chart = _load(source, scratch_path, env)
        except helm_python.HelmError as err:
            raise RenderError(
                f"cannot load chart: {_clean(str(err), quoted, shown)}",
                location=Location(shown),
            ) from None
        try:
            actual = str(chart.metadata.get("version", ""))
            if actual.removeprefix("v") != pinned.removeprefix("v"):
                raise RenderError(
                    f"chart version {actual} does not match the pinned {pinned} of "
                    f"'{release.name}'",
                    location=Location(shown),
                    hint=f"bkgen bump {release.name} {actual}, or replace the chart",
                )
            with _captured_stderr() as warnings:
                try:
                    files = _helm_render(chart, values, options)
                except helm_python.HelmError as err:
                    raise RenderError(
                        f"helm template failed: {_clean(str(err), quoted, shown)}",
                        location=Location(shown),
                    ) from None
            manifests, notes = _manifests(chart, files, shown)
        finally:
            chart.close()
    notes += [f"helm: {w}" for w in dict.fromkeys(warnings)]
    return RenderedRelease(
        release.name,
        MODE_HELM,
        tuple(manifests),
        values,
        tuple(notes),
        replay=ChartReplay(env, source, options),
    )


def _manifests(chart: Any, files: dict[str, str], shown: str) -> tuple[list[Manifest], list[str]]:
    manifests: list[Manifest] = []
    notes: list[str] = []
    for crd in sorted(chart.crds or [], key=lambda c: str(c.get("filename", ""))):
        manifests.extend(_crd_manifests(crd, shown))
    for name in sorted(files):
        if _SKIPPED.search(name) or not name.endswith((".yaml", ".yml", ".json")):
            continue
        for manifest in split_documents(files[name], f"{shown}:{name}", helm=True, notes=notes):
            result = translate(manifest.body)
            if result.note:
                notes.append(result.note)
            if result.body is not None:
                manifests.append(Manifest(result.body, manifest.source))
    return manifests, notes


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
    return split_documents(text, f"{shown}:{crd.get('filename', 'crds')}", helm=True)
