"""YAML in and out: positions for user files, one deterministic form for output.

User-authored overlay files are read with ruamel.yaml so every key keeps its
line and column (errors and provenance point there). Output is written with
PyYAML's C-accelerated dumper in one fixed style, so the same data always gives
the same bytes, whatever machine or `PYTHONHASHSEED`.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bkgen.errors import Location, OverlayError, display_path
from bkgen.safety import confine
from bkgen.yamlio import events as yaml_events

# Kubernetes readers expect these first; everything after them is sorted.
_LEADING_KEYS = ("apiVersion", "kind", "metadata")


MAX_EXPANDED_NODES = yaml_events.MAX_EXPANDED_NODES

YAML_SUFFIXES = (".yaml", ".yml")


def yaml_files(
    directory: Path,
    *,
    links: bool = False,
    hidden: bool = False,
    skip: Iterable[str] = (),
) -> list[Path]:
    """`*.yaml`/`*.yml` below `directory`, sorted. `links` keeps symlinks (even dangling
    ones, for the reader to refuse by name); `hidden` keeps dot-files and dot-directories;
    `skip` names files to leave out."""
    skipped = set(skip)
    return sorted(
        p
        for p in directory.rglob("*")
        if (p.is_file() or (links and p.is_symlink()))
        and p.suffix in YAML_SUFFIXES
        and p.name not in skipped
        and (hidden or not any(part.startswith(".") for part in p.relative_to(directory).parts))
    )


def round_trip(indent: tuple[int, int, int] | None = None) -> YAML:
    """ruamel in round-trip mode for editing a user's file: comments, quotes and key order
    kept, no line folding; `indent` is (mapping, sequence, offset) when it must be fixed."""
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    if indent is not None:
        rt.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return rt


def dump_round_trip(rt: YAML, data: Any) -> str:
    stream = io.StringIO()
    rt.dump(data, stream)
    return stream.getvalue()


def _ruamel() -> YAML:
    loader = YAML(typ="rt")
    loader.allow_duplicate_keys = False
    return loader


def _error_location(path: str, err: YAMLError) -> Location:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _first_line(err: YAMLError) -> str:
    if isinstance(err, MarkedYAMLError):
        parts = [p for p in (err.context, err.problem) if p]
        if parts:
            return "; ".join(str(p).strip() for p in parts)
    return str(err).strip().splitlines()[0]


def load_text(text: str, path: str, *, error: type[OverlayError] = OverlayError) -> Any:
    """Parse one YAML document keeping positions; any problem is one `error` with file:line.

    A fleet render parses the same base files once per environment; the parse is cached per
    process by content and each caller gets its own deep copy (callers may mutate).
    """
    if len(text) > _CACHED_TEXT:
        return _parse(text, path, error)
    return copy.deepcopy(_parse_cached(text, path, error))  # type: ignore[arg-type]  # classes hash


_CACHED_TEXT = 256 * 1024  # bigger files are parsed every time rather than kept


@lru_cache(maxsize=256)
def _parse_cached(text: str, path: str, error: type[OverlayError]) -> Any:
    return _parse(text, path, error)


def _parse(text: str, path: str, error: type[OverlayError]) -> Any:
    document, built = yaml_events.build(text, path, error)
    if built:
        return document
    try:
        document = _ruamel().load(text)
    except DuplicateKeyError as err:
        raise error(
            f"duplicate key: {_first_line(err)}", location=_error_location(path, err)
        ) from None
    except YAMLError as err:
        raise error(
            f"invalid YAML: {_first_line(err)}", location=_error_location(path, err)
        ) from None
    except RecursionError:
        raise error("YAML nests too deeply", location=Location(path)) from None
    problem = _alias_problem(document)
    if problem:
        raise error(problem, location=Location(path))
    return document


def _alias_problem(document: Any) -> str | None:
    """Recursive aliases and alias bombs in a tree ruamel built (merge keys, explicit
    tags: what `yaml_events` leaves to ruamel), found before anything walks the tree."""
    count = 0
    stack: list[tuple[Any, frozenset[int]]] = [(document, frozenset())]
    while stack:
        node, ancestors = stack.pop()
        count += 1
        if count > MAX_EXPANDED_NODES:
            return f"YAML expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)"
        if isinstance(node, Mapping | list):
            if id(node) in ancestors:
                return "recursive YAML alias"
            inner = ancestors | {id(node)}
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, inner) for child in children)
    return None


def load_file(
    path: Path, *, root: Path | None = None, error: type[OverlayError] = OverlayError
) -> Any:
    """Read and parse a user file; links out of `root`, odd files, size, encoding and
    syntax problems are clear errors (see `bkgen.safety.confine`)."""
    text = confine.read_text(path, root, error=error)
    return load_text(text, display_path(path, root), error=error)


def position(node: Any, key: str | int | None = None) -> tuple[int, int] | None:
    """1-based (line, column) of `key` inside a ruamel mapping/sequence, or of the node itself."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is None:
            return lc.line + 1, lc.col + 1
        if isinstance(node, CommentedMap):
            line, col = lc.key(key)
        elif isinstance(node, CommentedSeq) and isinstance(key, int):
            line, col = lc.item(key)
        else:
            return None
    except (KeyError, IndexError, TypeError):
        return None
    return line + 1, col + 1


def to_plain(node: Any) -> Any:
    """Strip ruamel's comment-carrying types down to dict/list/scalars."""
    if isinstance(node, Mapping):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool | int | float | str) or node is None:
        if isinstance(node, str):
            return str(node)
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        return node
    return str(node)  # timestamps and other exotic scalars stay as the user wrote them


def _ordered(data: Any, top: bool) -> Any:
    if isinstance(data, Mapping):
        keys = sorted(data, key=str)
        if top:
            keys = [k for k in _LEADING_KEYS if k in data] + [
                k for k in keys if k not in _LEADING_KEYS
            ]
        return {k: _ordered(data[k], False) for k in keys}
    if isinstance(data, list):
        return [_ordered(v, False) for v in data]
    return data


class _Dumper(yaml.CSafeDumper if hasattr(yaml, "CSafeDumper") else yaml.SafeDumper):  # type: ignore[misc]
    """Block style, multi-line strings as literal blocks, no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(c in value for c in "\t\r") and value == value.rstrip(" "):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump(data: Any) -> str:
    """The one output form: leading Kubernetes keys, then sorted keys; stable bytes."""
    stream = io.StringIO()
    yaml.dump(
        _ordered(data, True),
        stream,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
        indent=2,
    )
    return stream.getvalue()


# libyaml's C loader where PyYAML was built with it: the one safe loader bkgen uses.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(yaml.YAMLError):
    """A key repeated in one mapping; lines are 1-based within the parsed text."""

    def __init__(self, key: str, first: int, line: int, column: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.first, self.line, self.column = key, first, line, column


class StrictSafeLoader(SAFE_LOADER):  # type: ignore[misc]
    """libyaml's safe loader with mappings that refuse duplicate keys (as go-yaml v3, which
    Argo CD and kubectl use, does), naming both lines. For machine-made YAML."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            mark = key_node.start_mark
            try:
                if key in seen:
                    raise DuplicateKey(str(key), seen[key], mark.line + 1, mark.column + 1)
                seen[key] = mark.line + 1
            except TypeError:
                continue
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


StrictSafeLoader.add_constructor("tag:yaml.org,2002:map", StrictSafeLoader.construct_yaml_map)
