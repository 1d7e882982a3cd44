"""Read a bkhelmfile install tree exactly as helmfile does, into plain data.

`read_tree(root)` loads the entry state files (default: every top-level state file), each
part by part with its bases and environment (`tree_state`), follows `helmfiles:` with their
selectors, and returns a `HelmfileTree`: the environment's values (merged, with the file:line
of every leaf), helmDefaults, repositories and every selected release once, in helmfile order
(a file's sub-helmfiles before its own releases). Templates are evaluated by Helm's Go engine
(`bkgen.engines.gotmpl`): the parts of all files waiting on a render go to one child
process, so a tree costs as many children as the longest chain of dependent renders (one
for bkce70). Release values files are recorded, not rendered: the importer renders them.

What this must not do: write anything, run a command, read outside `root` (symlinks and
`..` are resolved and refused by name), or print an absolute path. Every problem is one
`bkgen.errors` exception naming file:line; what helmfile only warns about is in `notes`.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bkgen.engines.gotmpl import GoTemplateContext, GoTemplateJob, render_many
from bkgen.errors import Location, OverlayError
from bkgen.importers.helmfile.tree_model import (
    HelmfileTree,
    Hook,
    TreeRelease,
    ValuesEntry,
)
from bkgen.importers.helmfile.tree_state import (
    QUIET_HANDLERS,
    STATE_KEYS,
    Environment,
    RawRelease,
    Reader,
    RenderRequest,
    StateFile,
    load_state,
)
from bkgen.safety import confine

__all__ = ["HelmfileTree", "Hook", "TreeRelease", "ValuesEntry", "read_tree"]

STATE_SUFFIXES = (".yaml.gotmpl", ".yml.gotmpl", ".yaml", ".yml")
_STATE_LINE = re.compile(rf"^(?:{'|'.join(STATE_KEYS)})\s*:", re.M)
_RELEASE_KEYS = {
    "name", "namespace", "chart", "version", "labels", "needs", "condition",
    "installed", "values", "hooks",
}  # fmt: skip

_NOTE_AT = re.compile(r"^([^:\s]+)(?::(\d+))?:")

Loader = Generator[RenderRequest, str, StateFile]


def read_tree(
    root: Path, entries: Sequence[str] | None = None, environment: str = "default"
) -> HelmfileTree:
    """The tree at `root` as helmfile reads it for `environment` (see the module docstring).

    `entries`: tree-relative state files; None: every top-level `*.yaml.gotmpl`/`*.yaml`
    that is a state file with `releases:` or `helmfiles:` (bases such as env.yaml are not
    entries; other files, such as values fragments, are skipped and named in notes)."""
    root = root.resolve()
    reader = Reader(root, environment)
    notes: list[str] = []
    if entries is None:
        candidates = _candidates(root, notes)
    else:
        candidates = [reader.locate(entry, "", "<entries>", None) for entry in entries]
        for rel in candidates:
            if not (root / rel).is_file():
                raise OverlayError("state file not found", location=Location(rel))
    states = _load_all(reader, candidates)
    if entries is None:
        bases = {base for state in states.values() for base in state.bases}
        for rel in candidates:
            if not states[rel].is_state and rel not in bases:
                notes.append(f"{rel}: skipped: no releases or helmfiles")
        candidates = [rel for rel in candidates if states[rel].is_state]
    if not candidates:
        raise OverlayError("no helmfile state file found", location=Location("."))
    first = states[candidates[0]]
    if environment != "default" and not any(s.env.defined for s in states.values()):
        raise OverlayError(
            f"environment {environment!r} is not defined by any state file",
            location=Location(candidates[0]),
        )
    releases = _releases(reader, states, candidates, notes)
    for state in states.values():
        notes.extend(state.notes)
        if state.is_state and state.env.values != first.env.values:
            notes.append(f"{state.shown}: its environment values differ from {first.shown}'s")
    repositories: dict[str, str] = {}
    for state in states.values():
        repositories.update(state.repositories)
    return HelmfileTree(
        root=root,
        environment=environment,
        values_files=tuple(first.env.files),
        values=first.env.values,
        origins=dict(sorted(first.env.origins.items())),
        helm_defaults=first.helm_defaults,
        repositories=dict(sorted(repositories.items())),
        releases=tuple(releases),
        entries=tuple(candidates),
        notes=tuple(sorted(set(notes), key=_note_order)),
    )


def _note_order(note: str) -> tuple[str, int, str]:
    """file, then line as a number (line 21 before line 109), then the text."""
    match = _NOTE_AT.match(note)
    if match is None:
        return (note, 0, note)
    return (match.group(1), int(match.group(2) or 0), note)


def _candidates(root: Path, notes: list[str]) -> list[str]:
    """Top-level files that look like state files: a top-level key of helmfile's schema."""
    found = []
    for path in sorted(root.iterdir()):
        if not path.name.endswith(STATE_SUFFIXES) or path.is_dir():
            continue
        if not confine.inside(path, root):  # named without its target: no machine paths
            raise OverlayError("symlink leaves the tree", location=Location(path.name))
        text = confine.read_text(path, root)
        if _STATE_LINE.search(text):
            found.append(path.name)
        else:
            notes.append(f"{path.name}: skipped: not a helmfile state file (a values fragment?)")
    return found


def _load_all(reader: Reader, first: Sequence[str]) -> dict[str, StateFile]:
    """Every state file reachable from `first` through helmfiles:, rendering the waiting
    parts of all files together, one child process per round."""
    states: dict[str, StateFile] = {}
    waiting: dict[str, tuple[Loader, RenderRequest]] = {}
    queued = list(first)

    def advance(rel: str, loader: Loader, text: str | None) -> None:
        try:
            request = loader.send(text) if text is not None else next(loader)
        except StopIteration as done:
            states[rel] = done.value
        else:
            waiting[rel] = (loader, request)
            return
        for ref in states[rel].helmfiles:
            if not (reader.root / ref.path).is_file():
                raise OverlayError(
                    f"helmfile {ref.path} not found", location=Location(ref.source, ref.line)
                )
            queued.append(ref.path)

    while queued or waiting:
        while queued:
            rel = queued.pop(0)
            if rel not in states and rel not in waiting:
                advance(rel, load_state(reader, rel, Environment()), None)
        if not waiting:
            break
        batch = sorted(waiting.items())
        waiting.clear()
        texts = render_many([_job(reader, request) for _, (_, request) in batch])
        for (rel, (loader, _)), text in zip(batch, texts, strict=True):
            advance(rel, loader, text)
    return states


def _job(reader: Reader, request: RenderRequest) -> GoTemplateJob:
    ctx = GoTemplateContext(
        values=request.values, environment_name=reader.environment, tree_root=reader.root
    )
    return GoTemplateJob(request.path, ctx, request.shown, request.text)


def _releases(
    reader: Reader, states: Mapping[str, StateFile], entries: Sequence[str], notes: list[str]
) -> list[TreeRelease]:
    chosen: dict[tuple[str, str], TreeRelease] = {}

    def visit(rel: str, selectors: tuple[str, ...] | None, chain: tuple[str, ...]) -> None:
        if rel in chain:
            raise OverlayError(
                f"helmfiles cycle: {' -> '.join((*chain, rel))}", location=Location(chain[-1])
            )
        state = states[rel]
        for ref in state.helmfiles:
            visit(ref.path, selectors if ref.selectors is None else ref.selectors, (*chain, rel))
        for raw in state.releases:
            release = _release(reader, state, raw, notes)
            if selectors and not any(_matches(s, release, raw) for s in selectors):
                continue
            key = (release.name, release.namespace)
            seen = chosen.get(key)
            if seen is None:
                chosen[key] = release
            elif (seen.state_file, seen.line) != (release.state_file, release.line):
                if _same(seen, release):
                    notes.append(
                        f"{release.state_file}:{release.line}: release {release.name} "
                        f"repeats {seen.state_file}:{seen.line}"
                    )
                    continue
                raise OverlayError(
                    f"release {release.name} (namespace {release.namespace}) is defined "
                    f"differently at {seen.state_file}:{seen.line} and here",
                    location=Location(release.state_file, release.line),
                )

    for entry in entries:
        visit(entry, None, ())
    return list(chosen.values())


def _same(a: TreeRelease, b: TreeRelease) -> bool:
    def shape(r: TreeRelease) -> Any:
        return (
            r.chart,
            r.version,
            dict(r.labels),
            r.needs,
            r.condition,
            r.installed,
            [(v.path, v.inline) for v in r.values],
            [(h.events, h.command, h.args) for h in r.hooks],
            dict(r.settings),
        )

    return bool(shape(a) == shape(b))


def _matches(selector: str, release: TreeRelease, raw: RawRelease) -> bool:
    """helmfile's selector: `k=v` and `k!=v` terms joined by commas, all must hold; the
    labels are commonLabels, the release's labels, and name/namespace/chart."""
    labels = {
        **release.common_labels,
        **release.labels,
        "name": release.name,
        "namespace": release.namespace,
        "chart": release.chart,
    }
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        else:
            raise OverlayError(
                f"selector {selector!r}: each term is key=value or key!=value",
                location=Location(raw.shown),
            )
    return True


def _release(reader: Reader, state: StateFile, raw: RawRelease, notes: list[str]) -> TreeRelease:
    data, loaded, shown = raw.data, raw.loaded, raw.shown
    at = ("releases", raw.index)
    line = loaded.lines.get(at)

    def text(key: str, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise OverlayError(f"release without `{key}`", location=Location(shown, line))
            return None
        if isinstance(value, Mapping | list):
            raise OverlayError(f"release `{key}` must be a string", location=Location(shown, line))
        return loaded.raw.get((*at, key), str(value))  # as written: version 1.10 stays 1.10

    handler = data.get("missingFileHandler") or raw.missing_file_handler or "Error"
    values = tuple(_values(reader, raw, str(handler), notes))
    hooks = tuple(_hook(raw, i, h) for i, h in enumerate(data.get("hooks") or []))
    labels = data.get("labels") or {}
    return TreeRelease(
        name=str(text("name", True)),
        namespace=text("namespace") or "",
        chart=str(text("chart", True)),
        version=text("version"),
        labels={str(k): loaded.raw.get((*at, "labels", k), str(v)) for k, v in labels.items()},
        needs=tuple(str(n) for n in data.get("needs") or []),
        condition=text("condition"),
        installed=data.get("installed", True) is not False,
        values=values,
        hooks=hooks,
        state_file=shown,
        line=line,
        common_labels=dict(state.common_labels),
        helm_defaults=dict(state.helm_defaults),
        settings={k: v for k, v in sorted(data.items()) if k not in _RELEASE_KEYS},
    )


def _values(reader: Reader, raw: RawRelease, handler: str, notes: list[str]) -> list[ValuesEntry]:
    entries = raw.data.get("values") or []
    at = ("releases", raw.index, "values")
    out = []
    for index, entry in enumerate(entries):
        line = raw.loaded.lines.get((*at, index))
        if not isinstance(entry, str):
            out.append(ValuesEntry(None, entry, True, raw.shown, line))
            continue
        rel = reader.locate(entry, raw.directory, raw.shown, line)
        exists = (reader.root / rel).is_file()
        if not exists:
            if handler not in QUIET_HANDLERS:
                raise OverlayError(
                    f"values file {rel} not found (missingFileHandler: {handler})",
                    location=Location(raw.shown, line),
                )
            notes.append(
                f"{raw.shown}:{line}: values file {rel} is missing (missingFileHandler: {handler})"
            )
        out.append(ValuesEntry(rel, None, exists, raw.shown, line))
    return out


def _hook(raw: RawRelease, index: int, hook: Any) -> Hook:
    line = raw.loaded.lines.get(("releases", raw.index, "hooks", index))
    if not isinstance(hook, Mapping):
        raise OverlayError("a hook must be a mapping", location=Location(raw.shown, line))
    return Hook(
        events=tuple(str(e) for e in hook.get("events") or []),
        command=str(hook.get("command") or ""),
        args=tuple(str(a) for a in hook.get("args") or []),
        source=raw.shown,
        line=line,
        show_logs=bool(hook.get("showlogs", False)),
    )
