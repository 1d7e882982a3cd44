"""Streaming YAML input for validation: fast when valid, precise when not.

Documents are split by their `---` lines (keeping each one's first line) and
parsed with yaml-rs (Rust; duplicate keys and alias expansion bounded in the
parser, ~30x faster than PyYAML's constructor). Only a document that has
findings is composed again with PyYAML to map a field path to its line and
column. Bounded: oversized files and alias bombs are findings, not hangs.

yaml-rs follows YAML 1.2 (`yes` is a string, `0777` is decimal) where
Kubernetes' go-yaml reads YAML 1.1; the difference only matters for such
unquoted scalars, which the strict schemas then report either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
import yaml_rs

from bkgen.yamlio import SAFE_LOADER, DuplicateKey, StrictSafeLoader

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 500_000
_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=MAX_NODES, max_replay_stack_depth=64)
_RS_POSITION = re.compile(r"at line (\d+), column (\d+)")

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$|^\.\.\.$", re.MULTILINE)
_Base: Any = SAFE_LOADER


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


class ParseError(ValueError):
    """A document that does not parse; line/column relative to the document, if known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def parse(chunk: Chunk, strict: bool) -> Any:
    """The document's data, or ParseError with the best position we can find."""
    policy = yaml_rs.DuplicateKeyPolicy.Error if strict else yaml_rs.DuplicateKeyPolicy.LastWins
    try:
        return yaml_rs.loads(
            chunk.text, parse_datetime=False, alias_limits=_LIMITS, duplicate_key_policy=policy
        )
    except yaml_rs.YAMLDecodeError as err:
        text = str(err).strip()
    except RecursionError:
        raise ParseError("nesting too deep") from None
    message = text.splitlines()[-1] if "\n" in text else text
    match = _RS_POSITION.search(text)
    if match:
        raise ParseError(message, int(match.group(1)), int(match.group(2)))
    try:  # PyYAML knows where duplicate keys and other structural errors are
        yaml.load(chunk.text, Loader=StrictSafeLoader if strict else _Base)
    except DuplicateKey as dup:
        raise ParseError(
            f"duplicate key {dup.key!r} (lines {dup.first} and {dup.line})", dup.line, dup.column
        ) from None
    except yaml.YAMLError as other:
        mark = getattr(other, "problem_mark", None)
        if mark is not None:
            raise ParseError(message, mark.line + 1, mark.column + 1) from None
    except RecursionError:
        pass
    raise ParseError(message)


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


def error_position(chunk: Chunk, err: ParseError) -> tuple[int, int]:
    if err.line is None:
        return chunk.line, 1
    return chunk.line + err.line - 1, err.column or 1
