"""Streaming YAML input for validation: fast when valid, precise when not.

Documents are split by their `---` lines (keeping each one's first line), parsed
with libyaml's C loader plus a duplicate-key check, and only a document that
has findings is composed again to map a field path to its line and column.
Bounded: files over MAX_FILE_BYTES and documents that expand aliases beyond
MAX_NODES are findings, not hangs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 500_000

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$|^\.\.\.$", re.MULTILINE)
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int, column: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line, self.column = key, line, column


class _StrictLoader(_Base):  # type: ignore[misc]
    """The C loader with mappings that refuse duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    mark = key_node.start_mark
                    raise DuplicateKey(str(key), mark.line + 1, mark.column + 1)
                seen.add(key)
            except TypeError:
                continue
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_yaml_map)


@dataclass(frozen=True)
class Chunk:
    """One YAML document's text and its first line in the file (1-based)."""

    path: str
    line: int
    text: str


def split(path: str, text: str) -> Iterator[Chunk]:
    """Documents of `text` with the file line each starts on (separators excluded)."""
    pos = 0
    line = 1  # line number at `pos`
    for match in _SEPARATOR.finditer(text):
        body = text[pos : match.start()]
        if body.strip():
            yield Chunk(path, line, body)
        line += body.count("\n") + 1
        pos = match.end() + 1
    body = text[pos:]
    if body.strip():
        yield Chunk(path, line, body)


def _count_nodes(value: Any, limit: int) -> int:
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return count
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def parse(chunk: Chunk, strict: bool) -> Any:
    """The document's data; raises yaml.YAMLError (with file-relative marks) or ValueError."""
    loader = _StrictLoader if strict else _Base
    data = yaml.load(chunk.text, Loader=loader)
    if _count_nodes(data, MAX_NODES) > MAX_NODES:
        raise ValueError(f"document expands to more than {MAX_NODES} nodes (alias bomb?)")
    return data


def locate(chunk: Chunk, path: tuple[Any, ...]) -> tuple[int, int]:
    """File line and column of `path` inside the document (deepest part that exists)."""
    try:
        node = yaml.compose(chunk.text, Loader=_Base)
    except yaml.YAMLError:
        return chunk.line, 1
    if node is None:
        return chunk.line, 1
    mark = node.start_mark
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    mark = key_node.start_mark
                    node = value_node
                    break
            else:
                break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return chunk.line + mark.line, mark.column + 1


def error_position(chunk: Chunk, err: Exception) -> tuple[int, int]:
    if isinstance(err, DuplicateKey):
        return chunk.line + err.line - 1, err.column
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is None:
        return chunk.line, 1
    return chunk.line + mark.line, mark.column + 1


def describe(err: Exception) -> str:
    if isinstance(err, DuplicateKey):
        return f"duplicate key {err.key!r}"
    problem = getattr(err, "problem", None)
    context = getattr(err, "context", None)
    parts = [str(p) for p in (context, problem) if p]
    return "; ".join(parts) if parts else str(err).splitlines()[0]
