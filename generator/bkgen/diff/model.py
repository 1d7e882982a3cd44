"""A directory of manifests as resources keyed by identity, sensitive values masked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bkgen.errors import Location, UsageError

Key = tuple[str, str, str, str]  # group, kind, namespace, name
MASK = "*** (masked)"
_SENSITIVE = re.compile(r"(password|passwd|secret|token|private[-_]?key|credential|apikey)", re.I)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Resource:
    key: Key
    path: str  # relative to the tree root
    body: Mapping[str, Any]

    @property
    def release(self) -> str:
        labels = (self.body.get("metadata") or {}).get("labels") or {}
        return str(labels.get("bkgen.io/release") or _release_from_path(self.path))

    def label(self) -> str:
        group, kind, namespace, name = self.key
        kind_text = f"{kind}.{group}" if group else kind
        return f"{kind_text} {namespace + '/' if namespace else ''}{name}"


def _release_from_path(path: str) -> str:
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] in ("releases", "workflows"):
        return parts[1]
    return parts[0] if len(parts) > 1 else ""


def mask(node: Any, parent_key: str = "", secret: bool = False) -> Any:
    """Replace values of sensitive keys (and all Secret data) by a fixed marker."""
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            text = str(key)
            if (secret and parent_key in ("data", "stringData")) or (
                _SENSITIVE.search(text) and not isinstance(value, Mapping | list)
            ):
                out[text] = MASK
            else:
                out[text] = mask(value, text, secret)
        return out
    if isinstance(node, list):
        return [mask(v, parent_key, secret) for v in node]
    return node


def _key(body: Mapping[str, Any]) -> Key:
    api = str(body.get("apiVersion", ""))
    meta = body.get("metadata") or {}
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
        try:
            docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise UsageError(
                f"cannot parse: {str(err).splitlines()[0]}", location=Location(rel)
            ) from None
        for doc in docs:
            if not isinstance(doc, Mapping):
                continue
            if path.name == "values.yaml" and "kind" not in doc:
                key: Key = ("helm.values", "Values", "", _release_from_path(rel))
                out[key] = Resource(key, rel, mask(doc))
                continue
            key = _key(doc)
            out[key] = Resource(key, rel, mask(doc, secret=doc.get("kind") == "Secret"))
    return out
