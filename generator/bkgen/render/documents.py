"""Split renderer output into Kubernetes objects exactly as Helm, kubectl and Argo CD do.

Helm splits a rendered template on `---` at the start of a line, with no newline needed
after it (`(?:^|\\s*\\n)---\\s*`): `---apiVersion: v1` starts a new document. A YAML
parser reads the same line as a key `---apiVersion` in the previous document, and with
duplicate keys silently overwritten, the first object vanished and the second gained
its keys. Documents are therefore split here first, then each is parsed on its own with
a loader that refuses duplicate keys and names both lines.

Chart output is the exception: BlueKing's own charts render duplicate keys (bk-gse-ce
2.1.1 writes `helm.sh/chart` twice in one labels block, bk-apigateway 0.4.64 a Job's
`nodeSelector` twice) and Helm, which decodes through sigs.k8s.io/yaml, keeps the last one.
There the last one is kept too, and the render summary says so, naming both lines; the
rendered tree a reviewer reads holds the one value that is applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import yaml

from bkgen.errors import BkgenError, Location, RenderError
from bkgen.render import Manifest
from bkgen.safety import limits
from bkgen.yamlio import SAFE_LOADER, DuplicateKey, StrictSafeLoader

_HELM_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")


def helm_split(text: str, trim: bool = True) -> Iterator[tuple[int, str]]:
    """(first line, text) of every non-empty document, split where Helm splits.

    With `trim` each document is whitespace-trimmed and ends in one newline, as in Helm's
    release manifest (a final block scalar keeps one line break, whatever blank lines the
    template left); without it the text is kept as jinja2 wrote it.
    """
    stripped = text.strip()
    offset = text.find(stripped) if stripped else 0
    base_line = text.count("\n", 0, offset) + 1
    pos = 0
    for match in _HELM_SEPARATOR.finditer(stripped):
        body = stripped[pos : match.start()]
        if body.strip():
            yield _first_line(stripped, pos, body, base_line), _tidy(body, trim)
        pos = match.end()
    body = stripped[pos:]
    if body.strip():
        yield _first_line(stripped, pos, body, base_line), _tidy(body, trim)


def _tidy(body: str, trim: bool) -> str:
    # Helm trims each document, then writes it into the release manifest followed by a
    # newline; that manifest is what reaches the cluster, so a final block scalar keeps
    # exactly one line break.
    return body.strip() + "\n" if trim else body.lstrip() + "\n"


def _first_line(whole: str, pos: int, body: str, base_line: int) -> int:
    lead = len(body) - len(body.lstrip())
    return base_line + whole.count("\n", 0, pos + lead)


def _depth(node: Any, limit: int) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        if isinstance(item, Mapping):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


class _LastWinsLoader(SAFE_LOADER):  # type: ignore[misc]
    """Helm's reading of chart output: a duplicate key keeps its last value (recorded)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    self.duplicates.append((str(key), seen[key], key_node.start_mark.line + 1))
                seen[key] = key_node.start_mark.line + 1
            except TypeError:
                continue
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


_LastWinsLoader.add_constructor("tag:yaml.org,2002:map", _LastWinsLoader.construct_yaml_map)


def _last_wins(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    loader = _LastWinsLoader(text)
    loader.duplicates = []
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def parse_document(text: str, source: str, first_line: int, notes: list[str] | None = None) -> Any:
    """One YAML document; syntax errors and duplicate keys name the file line. With
    `notes` (chart output), a duplicate key keeps its last value, as Helm does, and a note
    says where."""
    try:
        doc = yaml.load(text, Loader=StrictSafeLoader)
    except DuplicateKey as err:
        if notes is not None:
            doc, duplicates = _last_wins(text)
            for key, first, second in duplicates:
                notes.append(
                    f"{source}: duplicate key {key!r} (lines {first_line + first - 1} and "
                    f"{first_line + second - 1}): the last one is kept, as Helm does"
                )
            return _bounded(doc, source, first_line)
        raise RenderError(
            f"duplicate key {err.key!r} (lines {first_line + err.first - 1} and "
            f"{first_line + err.line - 1})",
            location=Location(source, first_line + err.line - 1),
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise RenderError(
            f"rendered output is not valid YAML: {problem}", location=Location(source, line)
        ) from None
    except RecursionError:
        raise RenderError(
            "rendered document nests too deeply", location=Location(source, first_line)
        ) from None
    return _bounded(doc, source, first_line)


def _bounded(doc: Any, source: str, first_line: int) -> Any:
    max_depth = limits.current().max_depth  # the same bound as for overlay files
    if _depth(doc, max_depth) > max_depth:
        raise RenderError(
            f"rendered document nests deeper than {max_depth} levels",
            location=Location(source, first_line),
        )
    return doc


def split_documents(
    text: str, source: str, *, helm: bool = False, notes: list[str] | None = None
) -> list[Manifest]:
    """Every non-empty document of `text`; `kind: List` is flattened. `helm` trims each
    document as Helm does with chart output; `notes` collects duplicate keys of chart
    output instead of refusing them (see the module docstring)."""
    out: list[Manifest] = []
    for index, (line, body) in enumerate(helm_split(text, trim=helm)):
        doc = parse_document(body, source, line, notes)
        if doc is None:
            continue
        out.extend(_objects(doc, f"{source}#{index}", source, line))
    return out


def check_object(
    doc: Any, where: Location, error: type[BkgenError] = RenderError, noun: str = "rendered"
) -> None:
    """A Kubernetes object at all: a mapping with apiVersion, kind and metadata.name."""
    if not isinstance(doc, Mapping):
        raise error(f"a {noun} document is not a mapping", location=where)
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            raise error(f"{noun} object has no {key}", location=where)
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not name:
        raise error(f"{noun} {doc['kind']} has no metadata.name", location=where)


def _objects(doc: Any, label: str, source: str, line: int) -> Iterable[Manifest]:
    where = Location(source, line)
    if (
        isinstance(doc, Mapping)
        and doc.get("kind") == "List"
        and isinstance(doc.get("items"), list)
    ):
        for item in doc["items"]:
            yield from _objects(item, label, source, line)
        return
    check_object(doc, where)
    yield Manifest(dict(doc), label)
