"""A directory of manifests as resources keyed by identity, with their raw values.

Nothing is masked here: the engine must compare what Argo CD will apply, so a rotated
password or a renamed Secret reference is a change. Masking happens only when a renderer
prints (`bkgen.secrets.masking`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bkgen.errors import Location, UsageError
from bkgen.yamlio import SAFE_LOADER, dump

Key = tuple[str, str, str, str]  # group, kind, namespace, name
VALUES_GROUP = "helm.values"  # pseudo-resource: releases/<r>/values.yaml (Helm values)
_Loader: Any = SAFE_LOADER


@dataclass(frozen=True)
class Resource:
    key: Key
    path: str  # relative to the tree root
    body: Mapping[str, Any]

    @property
    def release(self) -> str:
        if self.key[0] == VALUES_GROUP:
            return self.key[3]
        labels = mapping(metadata(self.body).get("labels"))
        return str(labels.get("bkgen.io/release") or _release_from_path(self.path))

    @property
    def is_values(self) -> bool:
        return self.key[0] == VALUES_GROUP

    def label(self) -> str:
        group, kind, namespace, name = self.key
        if group == VALUES_GROUP:
            return f"Helm values {name} ({self.path})"
        kind_text = f"{kind}.{group}" if group else kind
        return f"{kind_text} {namespace + '/' if namespace else ''}{name}"

    def size(self) -> int:
        """Lines of YAML, as a removed resource is described."""
        return dump(dict(self.body)).count("\n")


@dataclass(frozen=True)
class Risk:
    """What a sync does to data or whether it can succeed (`data_risk` finds them)."""

    severity: str  # will fail to sync | data at risk | left behind in the cluster
    release: str
    resource: str  # the label of the resource (or Application) concerned
    message: str


def mapping(node: Any) -> Mapping[str, Any]:
    """`node` when it is a mapping, else an empty one: hand-edited trees may hold anything."""
    return node if isinstance(node, Mapping) else {}


def metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(body.get("metadata"))


def _release_from_path(path: str) -> str:
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] in ("releases", "workflows"):
        return parts[1]
    return parts[0] if len(parts) > 1 else ""


def _key(body: Mapping[str, Any]) -> Key:
    api = str(body.get("apiVersion", ""))
    meta = metadata(body)
    return (
        api.rpartition("/")[0],
        str(body.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def load_tree(root: Path) -> dict[Key, Resource]:
    """Every resource under `root` (files *.yaml/*.yml); Helm values files as pseudo-resources."""
    if not root.is_dir():
        raise UsageError(f"not a directory: {root.name}")
    out: dict[Key, Resource] = {}
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue  # staging and backup directories of the writer, never content
        try:
            docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise UsageError(
                f"cannot parse YAML: {problem}", location=Location(rel, line)
            ) from None
        except UnicodeDecodeError as err:
            raise UsageError(f"not UTF-8 (byte {err.start})", location=Location(rel)) from None
        except OSError as err:
            raise UsageError(f"cannot read: {err.strerror}", location=Location(rel)) from None
        for doc in docs:
            if not isinstance(doc, Mapping):
                continue
            if path.name == "values.yaml" and "kind" not in doc:
                key: Key = (VALUES_GROUP, "Values", "", _release_from_path(rel))
                out[key] = Resource(key, rel, doc)
                continue
            key = _key(doc)
            out[key] = Resource(key, rel, doc)
    return out


@dataclass(frozen=True)
class Change:
    path: str  # dotted; keys with dots etc. as ["k"], list items as [name] or [index]
    old: Any  # raw values: renderers mask them (bkgen.secrets.masking)
    new: Any
    kind: str  # added | removed | changed | moved (old, new: the item's indexes)
    sensitive: bool = False
    item: Any = None  # a moved list item (raw: renderers mask it)


@dataclass(frozen=True)
class ResourceDiff:
    status: str  # added | removed | changed | renamed
    key: Key
    label: str
    release: str
    path: str
    changes: tuple[Change, ...] = ()
    ignored: tuple[Change, ...] = ()  # changes in ignored fields: counted, shown only in json
    old_label: str = ""
    old_key: Key | None = None  # a renamed resource's old identity
    body: Mapping[str, Any] | None = None  # the whole resource (added: new, removed: old)
    note: str = ""

    @property
    def kind(self) -> str:
        return "Values" if self.key[0] == VALUES_GROUP else self.key[1]
