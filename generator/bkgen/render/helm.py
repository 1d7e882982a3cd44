"""`chart:` releases: the real Helm engine when the chart is here, Argo CD otherwise.

The chart comes from `bkgen.charts.source` (the env's charts/ or the digest-pinned cache).
The pinned version must match the chart's own: rendering a different version than the one
pinned would make the committed tree lie. Nothing is downloaded here.

Capabilities follow the environment: `.Capabilities.KubeVersion` is the env's kubeVersion
and `.Capabilities.APIVersions` holds the Kubernetes built-ins of that version plus the
API versions the env's releases provide (see `overlay/capabilities.py`). Helm's own warnings
(`skipped value for …: Not a table`) are written by the Go runtime to the process's stderr;
they are captured per release and reported in the render summary instead.

The engine runs in a bounded child process (`engines/_helm_worker.py`): a chart that
recurses, loops, allocates or multiplies templates without end costs at most
BKGEN_CHART_SECONDS, BKGEN_CHART_MEMORY_MIB, BKGEN_MAX_CHART_OUTPUT, BKGEN_MAX_CHART_OBJECTS
and BKGEN_MAX_CHART_TEMPLATES, and its death is one RenderError naming the release and the
chart; the previous rendered tree is untouched because nothing is written before every
release rendered.
"""

from __future__ import annotations

import base64
import contextlib
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.charts.source import ChartSource, confined_copy
from bkgen.engines._helm_worker import RENDER_MARK
from bkgen.engines.child import Child, ChildDied
from bkgen.errors import Location, RenderError
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment, release_namespace
from bkgen.render import MODE_ARGOCD_HELM, MODE_HELM, NOT_PULLED, Manifest, RenderedRelease
from bkgen.render.documents import split_documents
from bkgen.render.hooks import translate
from bkgen.safety import limits

# Notes and helpers are for humans and other templates, not for the cluster.
_SKIPPED = re.compile(r"(^|/)templates/(NOTES\.txt$|tests/)")
_WARNING = re.compile(r"^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?(?:warning: )?(.*)$")


def render(
    env: Environment,
    release: Release,
    values: dict[str, Any],
    api_versions: Sequence[str],
    source: ChartSource | None,
    engine: ChartEngine | None = None,
) -> RenderedRelease:
    """`source` is `charts.source.local_chart(env, release)`: None leaves it to Argo CD.
    `engine` renders it (one child for many charts); without one, a child of its own."""
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
    return _render_local(env, release, values, source, api_versions, engine)


def _clean(message: str, paths: Sequence[Path], shown: str) -> str:
    """Helm errors quote absolute paths of this machine; show the repo-relative one."""
    text = message
    for path in paths:
        text = text.replace(str(path.resolve()), shown).replace(str(path), shown)
    return " ".join(text.split())


def _warnings(said: str) -> list[str]:
    """Helm's warnings, written by the Go runtime to the child's stderr while it rendered."""
    lines: list[str] = []
    text = said.rsplit(RENDER_MARK.decode(), 1)[-1]
    for line in text.splitlines():
        match = _WARNING.match(line.strip())
        if match and match.group(1):
            lines.append(match.group(1))
    return lines


class ChartEngine:
    """Helm's Go engine in one bounded child (`engines/child.py`), started on the first chart
    and kept for the next ones: one start-up per environment, not per chart. Its address
    space, each chart's wall time, output and templates are bounded (`bkgen.safety.limits`)."""

    def __init__(self) -> None:
        self.bound = limits.current()
        self._child: Child | None = None
        self.open = True  # False once its `with` block ended: replays then start their own

    def __enter__(self) -> ChartEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.open = False
        self.close()

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None

    def ask(self, job: dict[str, Any], release: str, shown: str) -> tuple[dict[str, Any], str]:
        """The worker's answer and what it wrote to stderr; a death is one RenderError."""
        if self._child is None:
            self._child = Child("bkgen.engines._helm_worker", self.bound.chart_memory)
        child = self._child
        mark = child.stderr_mark()
        request = {
            **job,
            "max_output": self.bound.max_chart_output,
            "max_templates": self.bound.max_chart_templates,
        }
        try:
            answer = child.ask(request, self.bound.chart_seconds)
        except ChildDied as died:
            self.close()
            why = (
                f"rendering ran longer than {self.bound.chart_seconds} s (BKGEN_CHART_SECONDS)"
                if died.timed_out
                else f"the Helm engine {died.reason} (memory ceiling "
                f"{self.bound.chart_memory // 2**20} MiB, BKGEN_CHART_MEMORY_MIB)"
            )
            raise RenderError(f"release '{release}': {why}", location=Location(shown)) from None
        return answer, child.stderr_since(mark)


@contextmanager
def _chart_job(
    env: Environment, source: ChartSource
) -> Iterator[tuple[dict[str, Any], list[Path]]]:
    """The worker's view of the chart, and the paths its messages may quote. A directory is
    first copied (regular files only) into a scratch folder that is removed whatever happens:
    a dying engine is another process, so this one always cleans up."""
    if source.archive is not None:
        yield {"archive": base64.b64encode(source.archive).decode()}, []
        return
    assert source.directory is not None
    with tempfile.TemporaryDirectory(prefix="bkgen-chart-") as scratch:
        scratch_path = Path(scratch)
        copy = confined_copy(env, source.directory, scratch_path)
        yield {"path": str(copy)}, [scratch_path, source.directory]


def _engine(engine: ChartEngine | None) -> contextlib.AbstractContextManager[ChartEngine]:
    if engine is not None and engine.open:
        return contextlib.nullcontext(engine)
    return ChartEngine()


@dataclass(frozen=True)
class ChartReplay:
    """The chart again, from the same bytes: only a refused Secret asks for it (what the
    chart generates, which value feeds a key), so nothing here runs on a clean render.
    It asks the render's engine while that is open, else a bounded engine of its own."""

    env: Environment
    release: str
    source: ChartSource
    options: Mapping[str, Any]
    engine: ChartEngine | None = field(default=None, compare=False, repr=False)

    def _ask(self, job: dict[str, Any]) -> dict[str, Any]:
        shown = self.source.shown
        with _engine(self.engine) as engine, _chart_job(self.env, self.source) as (chart, quoted):
            answer, _said = engine.ask({**job, **chart}, self.release, shown)
        if "error" in answer:
            raise RenderError(
                f"helm template failed: {_clean(str(answer['error']), quoted, shown)}",
                location=Location(shown),
            )
        return answer

    def render(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        answer = self._ask({"op": "render", "values": values, "options": dict(self.options)})
        bound = limits.current()
        manifests, _notes = _manifests(answer, self.source.shown, self.release, bound)
        return [m.body for m in manifests]

    def merged_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The chart's defaults coalesced with `values`, as an install would use them."""
        merged: dict[str, Any] = self._ask({"op": "merge", "values": values})["values"]
        return merged


def _render_local(
    env: Environment,
    release: Release,
    values: dict[str, Any],
    source: ChartSource,
    api_versions: Sequence[str],
    engine: ChartEngine | None,
) -> RenderedRelease:
    shown = source.shown
    pinned = env.versions[release.name]
    options = {
        "name": release.name,
        "namespace": release_namespace(env, release),
        "kube_version": f"v{env.settings.kube_version}.0",
        "api_versions": list(api_versions),
    }
    job = {"op": "render", "values": values, "options": options}
    with _engine(engine) as helm, _chart_job(env, source) as (chart, quoted):
        answer, said = helm.ask({**job, **chart}, release.name, shown)
        bound = helm.bound
    if answer.get("stage") == "load":
        raise RenderError(
            f"cannot load chart: {_clean(str(answer['error']), quoted, shown)}",
            location=Location(shown),
        )
    actual = str(answer.get("version", ""))
    if "version" in answer and actual.removeprefix("v") != pinned.removeprefix("v"):
        raise RenderError(
            f"chart version {actual} does not match the pinned {pinned} of '{release.name}'",
            location=Location(shown),
            hint=f"bkgen bump {release.name} {actual}, or replace the chart",
        )
    if answer.get("stage") == "bound":
        raise RenderError(f"release '{release.name}': {answer['error']}", location=Location(shown))
    if "error" in answer:
        raise RenderError(
            f"helm template failed: {_clean(str(answer['error']), quoted, shown)}",
            location=Location(shown),
        )
    manifests, notes = _manifests(answer, shown, release.name, bound)
    notes += [f"helm: {w}" for w in dict.fromkeys(_warnings(said))]
    return RenderedRelease(
        release.name,
        MODE_HELM,
        tuple(manifests),
        values,
        tuple(notes),
        replay=ChartReplay(env, release.name, source, options, engine),
    )


def _manifests(
    answer: Mapping[str, Any], shown: str, release: str, bound: limits.Limits
) -> tuple[list[Manifest], list[str]]:
    files: dict[str, str] = answer["files"]
    manifests: list[Manifest] = []
    notes: list[str] = []
    for crd in sorted(answer["crds"], key=lambda c: str(c.get("filename", ""))):
        manifests.extend(_crd_manifests(crd, shown))
    for name in sorted(files):
        if _SKIPPED.search(name) or not name.endswith((".yaml", ".yml", ".json")):
            continue
        documents = split_documents(files[name], f"{shown}:{name}", helm=True, notes=notes)
        if len(manifests) + len(documents) > bound.max_chart_objects:
            raise RenderError(
                f"release '{release}': chart renders more than {bound.max_chart_objects} "
                "objects (BKGEN_MAX_CHART_OBJECTS)",
                location=Location(shown),
            )
        for manifest in documents:
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
