"""A user's YAML document as ruamel's positioned tree, built in one pass over libyaml's events.

ruamel's round-trip loader is pure Python: scanning, parsing and composing cost about 2.6 ms
per KiB, most of a small render. libyaml (C) parses here instead and one loop over its events
builds the same `CommentedMap`/`CommentedSeq` tree ruamel builds (same line/column records,
same scalar types: each scalar goes through ruamel's own resolver and constructor unless it
is a plain string), while checking, as it goes, what must never reach a tree: nesting deeper
than BKGEN_MAX_DEPTH, an alias inside its own anchor, aliases expanding past
MAX_EXPANDED_NODES, and a repeated key (named with both lines, never with a value).

What this loop does not mirror exactly (explicit tags, merge keys `<<`, complex keys,
`%YAML` directives, several documents, NEL or U+2028/9 in the text, anything libyaml
refuses) makes it return `None` *after* every check has run over the whole stream, and the
caller parses with ruamel as before. This module opens no file and knows nothing of overlays.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode

from bkgen.errors import Location, OverlayError
from bkgen.safety import limits

MAX_EXPANDED_NODES = 200_000  # aliases may not expand a small file into a huge tree

_SAFE_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_BUILT = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "null", "bool", "int", "float", "timestamp")
)
# A plain scalar that can only be a string under YAML 1.2's core schema as ruamel reads it:
# it starts with none of the characters an implicit resolver (null, bool, int, float,
# timestamp, merge, value, yaml) keys on. Anything else goes through ruamel's resolver.
_SURELY_STR = re.compile(r"[^-+.0-9~=<nNtTfF!&*]")


class _Fallback(Exception):
    """The document uses something this loop does not build as ruamel would."""


class _Mark:
    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class _Open:
    """A collection being built: its object, its size once expanded, and for a mapping the
    key waiting for its value and the line each key was first seen on."""

    __slots__ = ("anchor", "data", "key", "key_mark", "lines", "size")

    def __init__(self, data: Any, anchor: str | None) -> None:
        self.data = data
        self.anchor = anchor
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.lines: dict[str, int] = {}


_NO_KEY = object()


class _Scalars:
    """ruamel's resolver and round-trip constructor, used one scalar at a time."""

    def __init__(self) -> None:
        loader = YAML(typ="rt")
        self.resolver = loader.resolver
        self.constructor = loader.constructor

    def build(self, event: Any) -> Any:
        value: str = event.value
        style = event.style or None  # libyaml marks a plain scalar with ""
        if event.tag is not None:
            raise _Fallback  # an explicit tag, even `!`: ruamel builds that document
        if event.anchor is None and (
            (style is None and value and _SURELY_STR.match(value)) or style in ("'", '"')
        ):
            return value
        implicit = (True, False) if style is None else (False, True)
        tag = self.resolver.resolve(ScalarNode, value, implicit)
        if str(tag) not in _BUILT:
            raise _Fallback  # merge `<<`, value `=`: ruamel builds those documents
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, style, anchor=event.anchor)
        return self.constructor.construct_non_recursive_object(node)


_ODD_BREAKS = ("\x85", "\u2028", "\u2029")


def _uncommented(line: str) -> str:
    """`line` up to a comment (`#` at its start or after a blank)."""
    for index, char in enumerate(line):
        if char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index]
    return line


def _empty(event: Any) -> bool:
    return event.value == "" and not event.style and event.anchor is None


@lru_cache(maxsize=1)
def _scalars() -> _Scalars:
    return _Scalars()


class _Builder:
    """One document's tree, built event by event, bounds checked as each node arrives."""

    def __init__(self, text: str, path: str, error: type[OverlayError]) -> None:
        self.path, self.error = path, error
        self.max_depth = limits.current().max_depth
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[Any, int, Any]] = {}  # closed: object, size, mark
        self.empty: list[list[int]] = []  # records of empty values waiting for a position
        self.root: Any = None
        self.total = 0
        self.documents = 0
        # libyaml counts NEL and the Unicode line/paragraph separators as line breaks (YAML
        # 1.1), ruamel does not: lines would differ after one, so ruamel builds such a text.
        self.fallback = any(c in text for c in _ODD_BREAKS)
        self.text = text

    def fail(self, message: str, mark: Any, hint: str | None = None) -> OverlayError:
        where = Location(self.path, mark.line + 1, mark.column + 1)
        return self.error(message, location=where, hint=hint)

    def event(self, event: Any) -> None:
        if self.empty:
            line, column = self.after_key_indicator(event.start_mark)
            for record in self.empty:
                record[2], record[3] = line, column
            self.empty.clear()
        kind = type(event)
        if kind is yaml.ScalarEvent:
            self.scalar(event)
        elif kind is yaml.AliasEvent:
            self.alias(event)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            self.open(event, CommentedMap() if kind is yaml.MappingStartEvent else CommentedSeq())
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            done = self.stack.pop()
            start = _Mark(done.data.lc.line, done.data.lc.col)
            if done.anchor is not None:
                self.anchors[done.anchor] = (done.data, done.size, start)
            self.place(done.data, done.size, start, None)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1 or event.version is not None or event.tags:
                self.fallback = True

    def scalar(self, event: Any) -> None:
        try:
            value = _scalars().build(event)
        except Exception:  # _Fallback, or ruamel refuses the scalar: let ruamel say so
            self.fallback = True
            value = event.value
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1, event.start_mark)
        self.place(value, 1, event.start_mark, event)

    def alias(self, event: Any) -> None:
        if any(o.anchor == event.anchor for o in self.stack):
            raise self.fail(
                f"recursive YAML alias *{event.anchor} inside its own anchor", event.start_mark
            )
        if event.anchor not in self.anchors:
            self.fallback = True  # libyaml refuses an unknown anchor itself
            return
        value, size, start = self.anchors[event.anchor]
        self.place(value, size, start, None)

    def open(self, event: Any, data: Any) -> None:
        if event.tag is not None:
            self.fallback = True
        data._yaml_set_line_col(event.start_mark.line, event.start_mark.column)
        if event.anchor is not None:
            data.yaml_set_anchor(event.anchor)
        self.stack.append(_Open(data, event.anchor))
        if len(self.stack) > self.max_depth:
            raise self.fail(
                f"nesting deeper than {self.max_depth} levels",
                event.start_mark,
                hint="raise BKGEN_MAX_DEPTH if this is intended",
            )

    def place(self, value: Any, size: int, mark: Any, scalar: Any) -> None:
        """Put a finished node (`scalar`: its event, if it is one) where it belongs."""
        if not self.stack:
            self.root, self.total = value, size
            return
        parent = self.stack[-1]
        data = parent.data
        if isinstance(data, CommentedMap) and parent.key is _NO_KEY:
            self.key(parent, value, mark, scalar)  # keys are not nodes of the expanded tree
            return
        parent.size += size
        if parent.size > MAX_EXPANDED_NODES:
            raise self.fail(
                f"YAML expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)", mark
            )
        if isinstance(data, CommentedSeq):
            data.lc.add_idx_line_col(len(data), [mark.line, mark.column])
            data.append(value)
            return
        km = parent.key_mark
        record = [km.line, km.column, mark.line, mark.column]
        data.lc.add_kv_line_col(parent.key, record)
        if scalar is not None and _empty(scalar) and not self.comment_follows(scalar.start_mark):
            self.empty.append(record)  # ruamel places an empty value where the next token is
        data[parent.key] = value
        parent.key = _NO_KEY

    def comment_follows(self, mark: Any) -> bool:
        """A comment ends the line of an empty value (`a: # none`): ruamel keeps it there."""
        end = self.text.find("\n", mark.index)
        return self.text[mark.index : end if end >= 0 else None].lstrip(" \t").startswith("#")

    def after_key_indicator(self, mark: Any) -> tuple[int, int]:
        """Where ruamel places an empty value: the next token, which for an explicit key
        (`? key`, the key maybe on a later line) is the `?` indicator, recorded one column
        on; libyaml's next event is the key itself."""
        end, line = mark.index, mark.line
        while end > 0 or line == mark.line:
            start = self.text.rfind("\n", 0, end) + 1
            before = _uncommented(self.text[start:end]).rstrip(" \t\r")
            if before.strip() == "?":  # a block mapping's explicit key
                return line, len(before)
            if before.strip() or start == 0:
                break
            end, line = start - 1, line - 1  # a blank or comment line: look above it
        return mark.line, mark.column

    def key(self, parent: _Open, value: Any, mark: Any, scalar: Any) -> None:
        """A mapping key: refused when its text, or the value it reads as, came before."""
        if scalar is None:  # a collection or an alias as a key
            self.fallback = True
            parent.key, parent.key_mark = object(), mark
            return
        raw, line = scalar.value, scalar.start_mark.line + 1
        if raw != "<<" or scalar.style:
            if raw in parent.lines:
                raise self.fail(
                    f"duplicate key {raw!r} (lines {parent.lines[raw]} and {line})", mark
                )
            parent.lines[raw] = line
        records = parent.data.lc.data
        try:
            first = records.get(value) if records else None
        except TypeError:  # an unhashable key
            self.fallback, value, first = True, object(), None
        if first is not None:  # two spellings of one key: `true` and `True`
            raise self.fail(f"duplicate key {raw!r} (lines {first[0] + 1} and {line})", mark)
        parent.key, parent.key_mark = value, mark


def build(text: str, path: str, error: type[OverlayError]) -> tuple[Any, bool]:
    """(the document's ruamel tree, True), or (None, False) when ruamel must build it (see
    the module docstring); the bounds are checked over the whole stream in either case."""
    builder = _Builder(text, path, error)
    try:
        for event in yaml.parse(text, Loader=_SAFE_PARSER):
            builder.event(event)
    except yaml.YAMLError:
        return None, False  # ruamel reports syntax errors with its own, better messages
    if builder.total > MAX_EXPANDED_NODES:
        raise error(
            f"YAML expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)",
            location=Location(path),
        )
    return (None, False) if builder.fallback else (builder.root, True)
