"""`extends:` in env.yaml: an environment built on another one (bklog-prod on bklog-stag on
bklog-dev), resolved once, before anything is merged.

An environment that extends a parent takes the parent's files as its first layers, so the
stages of one application differ only by what each stage changes:

    env.yaml        the parent's settings, the child's keys over them (mappings merge,
                    lists and scalars are replaced); `description`, `git.path` and
                    `argocd.project` name an environment and are never inherited
    versions.yaml   parent's pins, then the child's
    custom.yaml     parent's overrides, then the child's
    <r>-values.yaml.j2, <r>-custom-values.yaml.j2   parent's, then the child's

Each layer keeps its own file, so `bkgen explain` names the ancestor's file:line for a value
the child inherits. A parent's own catalog.yaml, bcs.yaml and template sets describe that
cluster only; a parent holding one is refused rather than half inherited.

This module only reads env.yaml files and answers with the chain; `load.py` layers the
files. Each ancestor's env.yaml is checked on its own (schema, suites, rule IDs), so an error
names the file and line that wrote it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bkgen.errors import Location, OverlayError, display_path
from bkgen.errors.suggest import did_you_mean, one_of
from bkgen.overlay.catalog import Catalog
from bkgen.overlay.file_schemas import load_checked
from bkgen.overlay.settings import read_settings
from bkgen.safety import confine
from bkgen.yamlio import load_file, position

KEY = "extends"
# What names an environment rather than configures it: a child that inherited these would
# render into its parent's git path or Argo CD project.
_OWN = {(): {"description", KEY}, ("git",): {"path"}, ("argocd",): {"project"}}
# A parent's files that describe its cluster only (docs/environments.md).
_NOT_INHERITED = ("catalog.yaml", "bcs.yaml", "templatesets")


@dataclass(frozen=True)
class Lineage:
    """An environment's ancestors, the root-most first, and its env.yaml with theirs merged."""

    ancestors: tuple[str, ...]
    settings_doc: Mapping[str, Any]


def resolve(
    root: Path,
    name: str,
    doc: Mapping[str, Any],
    catalog: Catalog,
    known: Callable[[], list[str]],
) -> Lineage:
    """Follow `extends:` from `name` (whose env.yaml is `doc`) up to an environment that
    extends nothing. `known` lists the project's environments, for the did-you-mean."""
    if KEY not in doc:
        return Lineage((), doc)
    chain: list[tuple[str, Mapping[str, Any]]] = [(name, doc)]
    while KEY in chain[-1][1]:
        child, child_doc = chain[-1]
        parent = str(child_doc[KEY])
        where = Location(
            display_path(root / "overlays" / child / "env.yaml", root),
            *(position(child_doc, KEY) or ()),
        )
        seen = [n for n, _ in chain]
        if parent in seen:
            loop = " -> ".join([*seen[seen.index(parent) :], parent])
            raise OverlayError(
                f"extends cycle: {loop}",
                location=where,
                hint="an environment may not extend itself or one of its descendants",
            )
        chain.append((parent, _parent_doc(root, parent, where, known)))
    root_most, *descendants = reversed(chain)
    merged: Mapping[str, Any] = root_most[1]
    read_settings(root, root_most[0], merged, catalog)
    for env_name, document in descendants:
        merged = _overlay(_inheritable(merged), document)
        if env_name != name:  # an ancestor's errors name its own file and line
            read_settings(root, env_name, merged, catalog)
    return Lineage(tuple(n for n, _ in reversed(chain[1:])), merged)


def _parent_doc(
    root: Path, parent: str, where: Location, known: Callable[[], list[str]]
) -> Mapping[str, Any]:
    parent_dir = root / "overlays" / parent
    path = parent_dir / "env.yaml"
    if parent == "base" or not confine.exists(path):
        names = known()
        raise OverlayError(
            f"extends unknown environment '{parent}'",
            location=where,
            hint=did_you_mean(parent, names, f"environments: {one_of(names)}")
            if names
            else "no overlays/<env>/env.yaml yet",
        )
    for entry in _NOT_INHERITED:
        if confine.exists(parent_dir / entry):
            raise OverlayError(
                f"cannot extend '{parent}': its {entry} describes that cluster only and is "
                "not inherited",
                location=where,
                hint="extend an environment without it, or copy it with `bkgen env new --from`",
            )
    document: Mapping[str, Any] = load_checked(root, path, "env.schema.json")
    return document


def _inheritable(document: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    own = _OWN.get(prefix, set())
    out: dict[str, Any] = {}
    for key, value in document.items():
        if str(key) in own:
            continue
        if isinstance(value, Mapping) and (*prefix, str(key)) in _OWN:
            value = _inheritable(value, (*prefix, str(key)))
        out[str(key)] = value
    return out


def _overlay(parent: Mapping[str, Any], child: Mapping[str, Any]) -> Mapping[str, Any]:
    """`child` over `parent`. The result keeps the child's key positions (its messages
    still name the child's env.yaml line); the parent's keys fill in what the child leaves
    out, and were checked in the parent's own file."""
    merged = CommentedMap()
    for key, value in parent.items():
        if key not in child:
            merged[key] = value
    for key, value in child.items():
        below = parent.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = _overlay(below, value)
        else:
            merged[key] = value
    if isinstance(child, CommentedMap):
        merged.lc.data = dict(child.lc.data)
        merged.lc.line, merged.lc.col = child.lc.line, child.lc.col
    return merged


def settings_doc(root: Path, name: str) -> Mapping[str, Any]:
    """`overlays/<name>/env.yaml` with its ancestors' settings merged in, read lightly (no
    schema, no catalog), for the commands that read a committed tree's settings without
    loading the environment (validate's kubeVersion and `validation:`, diff's `diff:`, the
    trusted ref's `validation:`). A cycle or a missing parent stops the walk; loading the
    environment reports it."""
    chain: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen:
        seen.add(current)
        path = root / "overlays" / current / "env.yaml"
        document = load_file(path, root=root) if path.is_file() else None
        if not isinstance(document, Mapping):
            break
        chain.append(document)
        parent = document.get(KEY)
        current = str(parent) if isinstance(parent, str) and parent != "base" else None
    if not chain:
        return {}
    merged = chain[-1]
    for document in reversed(chain[:-1]):
        merged = _overlay(_inheritable(merged), document)
    return merged
