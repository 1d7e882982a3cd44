"""One helmfile state file, loaded part by part as helmfile loads it.

A state file is split on lines that are exactly `---`. Each part is rendered with the
environment values known when it is reached (none for the first), then parsed: its `bases:`
are loaded first (recursively, as state files), its `environments:` entry for the chosen
environment layers that environment's values files, and its other keys (releases, helmfiles,
helmDefaults, repositories, commonLabels) accumulate, later parts overriding earlier ones.

Loading is a generator: it yields a `RenderRequest` for every part that holds a template
action (`{{`) and is sent back the rendered text, so the caller can render the parts of many
files in one child process of `bkgen.engines.gotmpl`. A part without `{{` is its own
rendering (Go's text/template copies such text unchanged) and costs no child. This module
never renders, never runs anything, and reads only files inside the tree.
"""

from __future__ import annotations

import posixpath
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.errors import Location, OverlayError
from bkgen.importers.helmfile.tree_model import ValuesEntry
from bkgen.importers.helmfile.tree_yaml import Loaded, load_yaml, merge_values, plain_copy
from bkgen.safety import confine

QUIET_HANDLERS = ("Warn", "Info", "Debug")  # missingFileHandler values that let a file miss
STATE_KEYS = (
    "bases",
    "environments",
    "helmDefaults",
    "helmfiles",
    "releases",
    "repositories",
    "commonLabels",
    "missingFileHandler",
    "apiVersions",
    "kubeVersion",
    "templates",
    "hooks",
    "lockFilePath",
)


@dataclass(frozen=True)
class RenderRequest:
    """Render `text` (None: the whole file) of `path` with `values`."""

    path: Path
    shown: str
    text: str | None
    values: Mapping[str, Any]


@dataclass
class Environment:
    """The environment values as they accumulate through bases and parts."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[tuple[str, ...], tuple[str, int | None]] = field(default_factory=dict)
    files: list[ValuesEntry] = field(default_factory=list)
    defined: bool = False

    def copy(self) -> Environment:
        return Environment(
            plain_copy(self.values), dict(self.origins), list(self.files), defined=self.defined
        )


@dataclass(frozen=True)
class RawRelease:
    """A release mapping as parsed, with where it was written."""

    data: Mapping[str, Any]
    loaded: Loaded
    index: int  # its index in the part's `releases:` list
    shown: str
    directory: str  # the state file's tree-relative directory (values paths are relative)
    missing_file_handler: str | None  # the state file's


@dataclass(frozen=True)
class HelmfileRef:
    path: str  # tree-relative
    selectors: tuple[str, ...] | None  # None: inherit the including file's selectors
    source: str
    line: int | None


@dataclass
class StateFile:
    shown: str
    env: Environment
    helm_defaults: dict[str, Any] = field(default_factory=dict)
    repositories: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    releases: list[RawRelease] = field(default_factory=list)
    helmfiles: list[HelmfileRef] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_state: bool = False  # has releases: or helmfiles:


@dataclass(frozen=True)
class Reader:
    """What every load shares: the tree, the environment name."""

    root: Path
    environment: str

    def locate(self, written: str, directory: str, source: str, line: int | None) -> str:
        """`written` (relative to `directory`) as a tree-relative path, refused when it
        leaves the tree lexically or through a symlink."""
        where = Location(source, line)
        if posixpath.isabs(written):
            raise OverlayError(
                f"absolute path {written!r}: paths stay inside the tree", location=where
            )
        rel = posixpath.normpath(posixpath.join(directory, written))
        if rel == ".." or rel.startswith("../"):
            raise OverlayError(f"path {written!r} leaves the tree", location=where)
        if not confine.inside(self.root / rel, self.root):
            raise OverlayError(
                f"path {written!r} leaves the tree through a symlink", location=where
            )
        return rel


def split_parts(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each `---`-separated part."""
    parts: list[tuple[int, str]] = []
    start, lines = 1, list[str]()
    for number, line in enumerate(text.split("\n"), start=1):
        if line.rstrip("\r") == "---":
            parts.append((start, "\n".join(lines)))
            start, lines = number + 1, []
        else:
            lines.append(line)
    parts.append((start, "\n".join(lines)))
    return [(s, t) for s, t in parts if t.strip()]


def load_state(
    reader: Reader, shown: str, env: Environment, chain: tuple[str, ...] = ()
) -> Generator[RenderRequest, str, StateFile]:
    """Load the state file `shown` (tree-relative) starting from `env`."""
    if shown in chain:
        raise OverlayError(f"bases cycle: {' -> '.join((*chain, shown))}", location=Location(shown))
    path = reader.root / shown
    text = confine.read_text(path, reader.root)
    state = StateFile(shown, env.copy())
    directory = posixpath.dirname(shown)
    for start, part in split_parts(text):
        padded = "\n" * (start - 1) + part
        if "{{" in part:
            padded = yield RenderRequest(path, shown, padded, plain_copy(state.env.values))
        loaded = load_yaml(padded, shown)
        data = loaded.data if loaded.data is not None else {}
        if not isinstance(data, Mapping):
            raise OverlayError(
                "a state file part must be a mapping", location=Location(shown, start)
            )
        state.notes.extend(loaded.notes)
        for index, base in enumerate(_list(data, "bases", loaded, shown)):
            line = loaded.lines.get(("bases", index))
            if not isinstance(base, str):
                raise OverlayError("a base must be a path", location=Location(shown, line))
            rel = reader.locate(base, directory, shown, line)
            if not (reader.root / rel).is_file():
                raise OverlayError(f"base {base!r} not found", location=Location(shown, line))
            state.bases.append(rel)
            loaded_base = yield from load_state(reader, rel, state.env, (*chain, shown))
            _absorb(state, loaded_base)
        environments = data.get("environments") or {}
        chosen = environments.get(reader.environment) if isinstance(environments, Mapping) else None
        if chosen is not None:
            yield from _load_environment(reader, state, chosen, loaded, directory)
        elif environments and reader.environment != "default" and not state.env.defined:
            raise OverlayError(
                f"environment {reader.environment!r} is not defined",
                location=Location(shown, loaded.lines.get(("environments",))),
            )
        _apply(reader, state, data, loaded, directory)
    return state


def _absorb(state: StateFile, base: StateFile) -> None:
    state.env = base.env
    state.helm_defaults.update(base.helm_defaults)
    state.repositories.update(base.repositories)
    state.common_labels.update(base.common_labels)
    state.releases.extend(base.releases)
    state.helmfiles.extend(base.helmfiles)
    state.notes.extend(base.notes)
    state.is_state = state.is_state or base.is_state


def _load_environment(
    reader: Reader, state: StateFile, spec: Any, loaded: Loaded, directory: str
) -> Generator[RenderRequest, str, None]:
    """Layer the chosen environment's values entries over the values so far."""
    shown, name = state.shown, reader.environment
    here = ("environments", name)
    if not isinstance(spec, Mapping):
        spec = {}
    state.env.defined = True
    handler = spec.get("missingFileHandler") or "Error"
    if spec.get("secrets"):
        state.notes.append(
            f"{shown}:{loaded.lines.get((*here, 'secrets'))}: "
            "environment secrets are not read (sops)"
        )
    for index, entry in enumerate(_list(spec, "values", loaded, shown, here)):
        line = loaded.lines.get((*here, "values", index))
        if isinstance(entry, Mapping):
            state.env.files.append(ValuesEntry(None, plain_copy(entry), True, shown, line))
            sub = Loaded(
                entry,
                {
                    k[len(here) + 2 :]: v
                    for k, v in loaded.lines.items()
                    if k[: len(here) + 2] == (*here, "values", index)
                },
            )
            merge_values(state.env.values, state.env.origins, entry, sub, shown)
            continue
        if not isinstance(entry, str):
            raise OverlayError(
                "an environment values entry must be a path or a mapping",
                location=Location(shown, line),
            )
        for rel in _expand(reader, entry, directory, shown, line):
            exists = (reader.root / rel).is_file()
            state.env.files.append(ValuesEntry(rel, None, exists, shown, line))
            if not exists:
                if handler not in QUIET_HANDLERS:
                    raise OverlayError(
                        f"environment values file {rel} not found (missingFileHandler: {handler})",
                        location=Location(shown, line),
                    )
                state.notes.append(
                    f"{shown}:{line}: environment values file {rel} is missing "
                    f"(missingFileHandler: {handler})"
                )
                continue
            if rel.endswith(".gotmpl"):
                text = yield RenderRequest(
                    reader.root / rel, rel, None, plain_copy(state.env.values)
                )
            else:
                text = confine.read_text(reader.root / rel, reader.root)
            values = load_yaml(text, rel)
            state.notes.extend(values.notes)
            if values.data is None:
                continue
            if not isinstance(values.data, Mapping):
                raise OverlayError(
                    "environment values must be a mapping", location=Location(rel, 1)
                )
            merge_values(state.env.values, state.env.origins, values.data, values, rel)


def _expand(
    reader: Reader, written: str, directory: str, shown: str, line: int | None
) -> list[str]:
    """A values path, or the sorted files a glob pattern matches (none: the pattern itself,
    reported missing)."""
    rel = reader.locate(written, directory, shown, line)
    if not any(c in rel for c in "*?["):
        return [rel]
    found = sorted(
        p.relative_to(reader.root).as_posix() for p in reader.root.glob(rel) if p.is_file()
    )
    return [reader.locate(p, "", shown, line) for p in found] or [rel]


def _apply(
    reader: Reader, state: StateFile, data: Mapping[str, Any], loaded: Loaded, directory: str
) -> None:
    shown = state.shown
    if "releases" in data or "helmfiles" in data:
        state.is_state = True
    defaults = data.get("helmDefaults")
    if isinstance(defaults, Mapping):
        state.helm_defaults.update(plain_copy(defaults))
    labels = data.get("commonLabels")
    if isinstance(labels, Mapping):
        state.common_labels.update({str(k): str(v) for k, v in labels.items()})
    handler = data.get("missingFileHandler")
    for repo in _list(data, "repositories", loaded, shown):
        if isinstance(repo, Mapping) and "name" in repo:
            state.repositories[str(repo["name"])] = str(repo.get("url", ""))
    for index, release in enumerate(_list(data, "releases", loaded, shown)):
        if not isinstance(release, Mapping):
            raise OverlayError(
                "a release must be a mapping",
                location=Location(shown, loaded.lines.get(("releases", index))),
            )
        state.releases.append(
            RawRelease(release, loaded, index, shown, directory, str(handler) if handler else None)
        )
    for index, ref in enumerate(_list(data, "helmfiles", loaded, shown)):
        line = loaded.lines.get(("helmfiles", index))
        written, selectors = (ref, None) if isinstance(ref, str) else _ref(ref, shown, line)
        if "values" in (ref if isinstance(ref, Mapping) else {}):
            state.notes.append(f"{shown}:{line}: values passed to a sub-helmfile are not read")
        for rel in _expand(reader, written, directory, shown, line):
            state.helmfiles.append(HelmfileRef(rel, selectors, shown, line))


def _ref(ref: Any, shown: str, line: int | None) -> tuple[str, tuple[str, ...] | None]:
    if not isinstance(ref, Mapping) or not isinstance(ref.get("path"), str):
        raise OverlayError(
            "a helmfiles entry must be a path or a mapping with `path`",
            location=Location(shown, line),
        )
    selectors = ref.get("selectors")
    if selectors is None:
        return ref["path"], None
    if not isinstance(selectors, list):
        raise OverlayError("helmfiles selectors must be a list", location=Location(shown, line))
    return ref["path"], tuple(str(s) for s in selectors)


def _list(
    data: Mapping[str, Any], key: str, loaded: Loaded, shown: str, at: tuple[str, ...] = ()
) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise OverlayError(
            f"`{key}` must be a list", location=Location(shown, loaded.lines.get((*at, key)))
        )
    return value
