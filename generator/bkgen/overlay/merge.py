"""Deep merge of value layers that remembers which file and line set each value.

Semantics follow Helm/helmfile so operators are not surprised: mappings merge
key by key, lists and scalars replace, and an explicit `null` deletes the key.
Every key path keeps its *chain* of origins (oldest first), which is what
`bkgen explain` prints. This module knows nothing of files on disk: layers
arrive as parsed data plus a way to find a key's line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bkgen.errors import Location
from bkgen.yamlio import position, to_plain

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Origin:
    """One file (and line, when known) that set a value."""

    source: str
    line: int | None = None
    layer: int = field(default=0, compare=False)  # position in the layer order

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True)
class Layer:
    """A parsed values document; `line_of` maps a line of `data` to the line the user wrote."""

    source: str
    data: Any
    line_of: Callable[[int], int] | None = None


@dataclass
class Merged:
    """The merged values and, for every key path ever set, the origins in layer order."""

    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[KeyPath, list[Origin]] = field(default_factory=dict)

    def location(self, path: KeyPath) -> Location | None:
        """Where the value at `path` (or, when unset, its nearest parent) was last set."""
        for depth in range(len(path), 0, -1):
            origins = self.provenance.get(path[:depth])
            if origins:
                return Location(origins[-1].source, origins[-1].line)
        return None

    def chain(self, path: KeyPath) -> list[tuple[KeyPath, Origin]]:
        """Origins of `path` and of everything below it, in the order they were applied."""
        found = [
            (key, origin)
            for key, origins in self.provenance.items()
            if key[: len(path)] == path
            for origin in origins
        ]
        found.sort(key=lambda item: (item[1].layer, item[1].line or 0, item[0]))
        return found


def merge_layers(layers: Iterable[Layer]) -> Merged:
    """Apply layers in order; later layers win."""
    merged = Merged()
    for index, layer in enumerate(layers):
        if layer.data is None:
            continue
        if not isinstance(layer.data, Mapping):
            continue  # callers validate shape first; an empty or scalar layer sets nothing
        _merge_into(merged, merged.values, layer.data, (), layer, index)
    return merged


def _origin(layer: Layer, node: Any, key: str, order: int) -> Origin:
    pos = position(node, key)
    line = None
    if pos is not None:
        line = layer.line_of(pos[0]) if layer.line_of else pos[0]
    return Origin(layer.source, line, order)


def _record(merged: Merged, path: KeyPath, origin: Origin) -> None:
    merged.provenance.setdefault(path, []).append(origin)


def _forget(merged: Merged, path: KeyPath) -> None:
    for key in [k for k in merged.provenance if k[: len(path)] == path and k != path]:
        del merged.provenance[key]


def _merge_into(
    merged: Merged,
    target: dict[str, Any],
    source: Mapping[Any, Any],
    prefix: KeyPath,
    layer: Layer,
    order: int,
) -> None:
    for raw_key, value in source.items():
        key = str(raw_key)
        path = (*prefix, key)
        origin = _origin(layer, source, raw_key, order)
        if value is None:
            target.pop(key, None)
            _forget(merged, path)
            _record(merged, path, origin)
            continue
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _record(merged, path, origin)
            _merge_into(merged, target[key], value, path, layer, order)
            continue
        if isinstance(value, Mapping):
            target[key] = {}
            _forget(merged, path)
            _record(merged, path, origin)
            _merge_into(merged, target[key], value, path, layer, order)
            continue
        target[key] = to_plain(value)
        _forget(merged, path)
        _record(merged, path, origin)


def merge_plain(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """The same semantics without provenance, for values computed in code."""
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_plain(out[key], value)
        else:
            out[key] = value
    return out


_SEGMENT = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|([^.\[\]]+)')


def parse_key_path(text: str) -> KeyPath:
    """`a.b["c.d"].e` -> ("a", "b", "c.d", "e"); keys with dots go in quoted brackets."""
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
            continue
        match = _SEGMENT.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot parse key path {text!r} at character {pos + 1}")
        parts.append(match.group(1) if match.group(1) is not None else match.group(2))
        pos = match.end()
    if not parts:
        raise ValueError("empty key path")
    return tuple(parts)


def format_key_path(path: KeyPath) -> str:
    return ".".join(f'["{p}"]' if "." in p or "[" in p else p for p in path).replace(".[", "[")


def lookup(values: Mapping[str, Any], path: KeyPath) -> Any:
    """The value at `path`; KeyError naming the first missing segment."""
    node: Any = values
    for depth, part in enumerate(path):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(format_key_path(path[: depth + 1]))
        node = node[part]
    return node
