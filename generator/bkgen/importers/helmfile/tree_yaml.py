"""YAML of a helmfile tree, read as helmfile's go-yaml v2 reads it, with positions and bounds.

Real bkhelmfile trees are messy: `environments/default/version.yaml` repeats keys. go-yaml v2
keeps the last value; here a repeated key with an EQUAL value is accepted (and reported as a
note), one with a DIFFERENT value is refused, naming both lines, because which one the
operator meant cannot be known. Every node's line is kept (`Loaded.lines`, keyed by its path
of keys and list indexes) so releases, values entries and leaf values point at file:line.

Bounds, before anything is built: nesting depth (BKGEN_MAX_DEPTH, from the event stream, no
recursion), and alias expansion (yamlio.MAX_EXPANDED_NODES nodes in the built tree, a node
inside itself refused). Timestamps stay strings (go-yaml v2 into interface{} does the same).
This module reads text it is given; it opens no file and renders no template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from bkgen.errors import Location, OverlayError
from bkgen.safety import limits
from bkgen.yamlio import MAX_EXPANDED_NODES, SAFE_LOADER

KeyPath = tuple[str | int, ...]
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@dataclass
class Loaded:
    """One YAML document: plain data, the 1-based line of every node, what to report."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    raw: dict[KeyPath, str] = field(default_factory=dict)  # scalars as written (`1.10`)
    notes: list[str] = field(default_factory=list)


def _check_depth(text: str, shown: str) -> None:
    max_depth = limits.current().max_depth
    depth = 0
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    raise OverlayError(
                        f"nesting deeper than {max_depth} levels",
                        location=Location(shown, _line(event.start_mark)),
                        hint="raise BKGEN_MAX_DEPTH if this is intended",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as err:
        raise _syntax(err, shown) from None


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _syntax(err: yaml.YAMLError, shown: str) -> OverlayError:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    return OverlayError(
        f"invalid YAML: {problem}", location=Location(shown, mark.line + 1 if mark else None)
    )


def load_documents(text: str, shown: str) -> list[Loaded]:
    """Every document of `text` (a values file may hold several; helmfile reads the first
    of a state part), each bounded and built as described in the module docstring."""
    _check_depth(text, shown)
    try:
        nodes = list(yaml.compose_all(text, Loader=SAFE_LOADER))
    except yaml.YAMLError as err:
        raise _syntax(err, shown) from None
    out = []
    for node in nodes:
        builder = _Builder(shown)
        data = builder.build(node, (), ())
        out.append(Loaded(data, builder.lines, builder.raw, builder.notes))
    return out or [Loaded(None)]


def load_yaml(text: str, shown: str) -> Loaded:
    """The first document of `text` (helmfile's yaml.Unmarshal reads only the first)."""
    return load_documents(text, shown)[0]


class _Builder:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.lines: dict[KeyPath, int] = {}
        self.raw: dict[KeyPath, str] = {}
        self.notes: list[str] = []
        self.count = 0
        self.max_depth = limits.current().max_depth
        self.scalars = SAFE_LOADER("")  # only its scalar constructors are used

    def _where(self, node: yaml.Node) -> Location:
        return Location(self.shown, node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: KeyPath, open_nodes: tuple[int, ...]) -> Any:
        self.count += 1
        if self.count > MAX_EXPANDED_NODES:
            raise OverlayError(
                f"YAML expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)",
                location=self._where(node),
            )
        if id(node) in open_nodes:
            raise OverlayError("recursive YAML alias", location=self._where(node))
        if len(open_nodes) > self.max_depth:  # aliases can nest what the events did not
            raise OverlayError(
                f"nesting deeper than {self.max_depth} levels (through aliases)",
                location=self._where(node),
            )
        if not path or path not in self.lines:
            self.lines[path] = node.start_mark.line + 1
        inner = (*open_nodes, id(node))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), inner) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, inner)
        self.raw[path] = str(node.value)
        if node.tag == _TIMESTAMP:
            return str(node.value)
        try:
            return self.scalars.construct_object(node, deep=True)
        except yaml.YAMLError as err:
            raise _syntax(err, self.shown) from None

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise OverlayError("a mapping key must be a scalar", location=self._where(node))
        value = self.scalars.construct_object(node, deep=True)
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, inner: tuple[int, ...]) -> Any:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: dict[str, Any] = {}  # `<<:` keys: explicit keys win, whatever their order
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in self._merge_sources(value_node, path, inner):
                    for key, value in source.items():
                        merged.setdefault(key, value)
                continue
            key = self._key(key_node)
            line = key_node.start_mark.line + 1
            value = self.build(value_node, (*path, key), inner)
            if key in seen:
                dotted = ".".join(str(p) for p in (*path, key))
                if value != result[key]:
                    raise OverlayError(
                        f"duplicate key {dotted!r} with different values (lines {seen[key]} "
                        f"and {line}); helmfile would silently keep line {line}",
                        location=Location(self.shown, line),
                    )
                self.notes.append(
                    f"{self.shown}:{line}: duplicate key {dotted!r} (also line {seen[key]}), "
                    "equal values"
                )
            seen[key] = line
            self.lines[(*path, key)] = line
            result[key] = value
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(
        self, node: yaml.Node, path: KeyPath, inner: tuple[int, ...]
    ) -> list[Mapping[str, Any]]:
        value = self.build(node, path, inner)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, Mapping) for s in sources):
            raise OverlayError("`<<` merges only mappings", location=self._where(node))
        return sources


def merge_values(
    dst: dict[str, Any],
    origins: dict[tuple[str, ...], tuple[str, int | None]],
    src: Mapping[str, Any],
    loaded: Loaded,
    shown: str,
    prefix: tuple[str, ...] = (),
) -> None:
    """Layer `src` over `dst` as helmfile layers environment values files (mergo, override):
    mappings merge key by key, anything else (lists included) replaces, a null does not
    override. `origins` follows: each leaf path -> (file, line) of the value that won."""
    for key, value in src.items():
        path = (*prefix, key)
        old = dst.get(key)
        if isinstance(value, Mapping) and isinstance(old, dict) and value:
            merge_values(old, origins, value, loaded, shown, path)
            continue
        if value is None and key in dst:
            continue
        for stale in [p for p in origins if p[: len(path)] == path]:
            del origins[stale]
        dst[key] = plain_copy(value)
        _record(origins, value, path, loaded, shown)


def _record(
    origins: dict[tuple[str, ...], tuple[str, int | None]],
    value: Any,
    path: tuple[str, ...],
    loaded: Loaded,
    shown: str,
) -> None:
    if isinstance(value, Mapping) and value:
        for key, inner in value.items():
            _record(origins, inner, (*path, key), loaded, shown)
        return
    origins[path] = (shown, loaded.lines.get(path))


def plain_copy(value: Any) -> Any:
    """A copy of plain data whose mappings are dicts and sequences lists."""
    if isinstance(value, Mapping):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    return value
