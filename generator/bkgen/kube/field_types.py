"""The JSON type a Kubernetes field expects, from the bundled (offline) schemas.

Used where a value is put into a manifest by substitution, so that a variable
holding `abc` where `spec.replicas` wants an integer is reported at the
variable, not three stages later as a schema error in the rendered tree.
Removed apiVersions (extensions/v1beta1 ...) are looked up under their
replacement: the fields a template uses kept their types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from bkgen.kube.deprecations import lookup as deprecated_lookup
from bkgen.kube.versions import bundled_dir, definitions, file_stem


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _schema(api_version: str, kind: str, kube_version: str) -> tuple[Any, Path] | None:
    directory = bundled_dir(kube_version)
    candidates = [api_version]
    old = deprecated_lookup(api_version, kind)
    if old is not None:
        candidates.append(old[2])
    for api in candidates:
        schema = _load(directory / f"{file_stem(api, kind)}.json")
        if schema is not None:
            return schema, directory
    return None


def _deref(node: Any, directory: Path) -> Any:
    for _ in range(32):
        if not isinstance(node, Mapping) or "$ref" not in node:
            return node
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        node = definitions(directory).get(name)
    return node


def expected_types(
    api_version: str, kind: str, path: Sequence[str | int], kube_version: str
) -> frozenset[str] | None:
    """JSON types allowed at `path` ("integer", "string", ...), or None when unknown."""
    found = _schema(api_version, kind, kube_version)
    if found is None:
        return None
    node, directory = found
    for part in path:
        node = _deref(node, directory)
        if not isinstance(node, Mapping):
            return None
        if isinstance(part, int):
            node = node.get("items")
        else:
            props = node.get("properties") or {}
            node = props.get(part, node.get("additionalProperties"))
        if node is None or node is True:
            return None
    node = _deref(node, directory)
    if not isinstance(node, Mapping):
        return None
    if node.get("format") == "int-or-string":
        return frozenset({"integer", "string"})
    kinds = node.get("type")
    if isinstance(kinds, str):
        return frozenset({kinds})
    if isinstance(kinds, list):
        return frozenset(str(k) for k in kinds if k != "null")
    options = node.get("oneOf") or node.get("anyOf")
    if isinstance(options, list):
        return frozenset(str(o.get("type")) for o in options if isinstance(o, Mapping))
    return None


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "object" if isinstance(value, Mapping) else "array"


def fits(value: Any, allowed: frozenset[str]) -> bool:
    kind = json_type(value)
    return kind in allowed or (kind == "integer" and "number" in allowed)
