"""`bkgen migrate-apis`: rewrite manifests off apiVersions the target Kubernetes removed.

Files are edited the way a person would: every YAML document is round-tripped
with ruamel (comments, key order, quotes and indentation kept) and only the
documents that change are re-serialised; the rest of the file stays byte for
byte. Template expressions (`{{KEY}}` of BCS template sets, `{{ .Values.x }}`)
are masked with same-length placeholders before parsing and restored after, so
templates migrate like plain manifests. What cannot be converted safely is left
as it is and reported (`Refusal`), never guessed.

One converter module per API family (`apps`, `networking`, `simple`); each
exports `CONVERSIONS: {(apiVersion, kind or "*"): (new apiVersion, convert)}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from bkgen.kube.deprecations import lookup, removed
from bkgen.migrate import apps, networking, simple
from bkgen.migrate._edit import Unconvertible
from bkgen.migrate.simple import Converter
from bkgen.yamlio import dump_round_trip, round_trip, yaml_files

CONVERSIONS: dict[tuple[str, str], tuple[str, Converter]] = {
    **simple.CONVERSIONS,
    **apps.CONVERSIONS,
    **networking.CONVERSIONS,
}

_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_PRE_GA = re.compile(r"(^|/)v\d+(alpha|beta)\d+$|^extensions/")
_API_LINE = re.compile(r"^\s*apiVersion:\s*['\"]?([\w./-]+)", re.MULTILINE)


@dataclass(frozen=True)
class Change:
    line: int
    what: str  # Kind/name
    old: str
    new: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    line: int
    what: str
    api: str
    reason: str


@dataclass(frozen=True)
class FileResult:
    path: Path
    original: str
    migrated: str
    changes: tuple[Change, ...] = ()
    refusals: tuple[Refusal, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return self.migrated != self.original


def converter(api: str, kind: str) -> tuple[str, Converter] | None:
    return CONVERSIONS.get((api, kind)) or CONVERSIONS.get((api, "*"))


def _mask(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Replace template expressions by unique plain scalars of the same length."""
    masks: list[tuple[str, str]] = []

    def hide(match: re.Match[str]) -> str:
        original = match.group(0)
        token = f"_bk{len(masks)}_"
        token += "_" * max(0, len(original) - len(token))
        masks.append((token, original))
        return token

    return _EXPRESSION.sub(hide, text), masks


def _unmask(text: str, masks: list[tuple[str, str]]) -> str:
    for token, original in reversed(masks):
        text = text.replace(token, original)
    return text


def _yaml(text: str) -> YAML:
    _, indent, offset = load_yaml_guess_indent(text)
    indent = indent or 2
    offset = offset or 0
    return round_trip(indent=(max(2, indent - offset), indent, offset))


def _chunks(text: str) -> list[tuple[str, int]]:
    """Documents with the separator line kept at their start, and their first line."""
    starts = [0] + [m.start() for m in _SEPARATOR.finditer(text) if m.start() > 0]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        out.append((text[start:end], text.count("\n", 0, start) + 1))
    return out


def _migrate_doc(doc: CommentedMap, minor: int, line: int) -> tuple[list[Change], list[Refusal]]:
    changes: list[Change] = []
    kind = str(doc.get("kind"))
    what = f"{kind}/{(doc.get('metadata') or {}).get('name', '?')}"
    while True:
        api = str(doc.get("apiVersion"))
        if not removed(api, kind, minor):
            return changes, []
        found = converter(api, kind)
        if found is None:
            entry = lookup(api, kind)
            hint = f"; replace it with {entry[2]} by hand" if entry else ""
            return [], [Refusal(line, what, api, f"no safe automatic conversion{hint}")]
        try:
            notes = found[1](doc, api)
        except Unconvertible as err:
            return [], [Refusal(line, what, api, str(err))]
        changes.append(Change(line, what, api, str(doc["apiVersion"]), tuple(notes)))


def _migrate_chunk(chunk: str, line: int, minor: int) -> tuple[str, list[Change], list[Refusal]]:
    apis = [m.group(1) for m in _API_LINE.finditer(chunk)]
    if not any(_PRE_GA.search(api) for api in apis):
        return chunk, [], []
    masked, masks = _mask(chunk)
    head, sep, body = masked.partition("\n") if masked.startswith("---") else ("", "", masked)
    try:
        rt = _yaml(body)
        doc = rt.load(body)
    except YAMLError as err:
        return chunk, [], [Refusal(line, "?", apis[0], f"not YAML: {str(err).splitlines()[0]}")]
    if not isinstance(doc, CommentedMap) or "kind" not in doc:
        return chunk, [], []
    body_line = line + (1 if sep else 0) + doc.lc.key("apiVersion")[0]
    original = dump_round_trip(rt, doc)
    changes, refusals = _migrate_doc(doc, minor, body_line)
    if refusals or not changes:
        return chunk, [], refusals
    migrated = dump_round_trip(rt, doc)
    if original != body:  # the round trip alone would reformat: keep the edit, but say so
        changes[-1] = Change(
            changes[-1].line,
            changes[-1].what,
            changes[-1].old,
            changes[-1].new,
            (*changes[-1].notes, "document re-indented"),
        )
    return _unmask(head + sep + migrated, masks), changes, []


def migrate_text(text: str, path: Path, minor: int) -> FileResult:
    pieces: list[str] = []
    changes: list[Change] = []
    refusals: list[Refusal] = []
    for chunk, line in _chunks(text):
        new, done, refused = _migrate_chunk(chunk, line, minor)
        pieces.append(new)
        changes += done
        refusals += refused
    return FileResult(path, text, "".join(pieces), tuple(changes), tuple(refusals))


def manifest_files(targets: Iterable[Path]) -> list[Path]:
    found: set[Path] = set()
    for target in targets:
        if target.is_file():
            found.add(target)
        elif target.is_dir():
            found.update(yaml_files(target))
    return sorted(found)


def migrate_files(paths: Iterable[Path], minor: int) -> list[FileResult]:
    results = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not a manifest anyone wrote by hand
        results.append(migrate_text(text, path, minor))
    return results
