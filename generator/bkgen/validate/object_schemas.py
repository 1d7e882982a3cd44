"""Find, compile and cache the JSON Schema of each (apiVersion, kind).

Lookup order: CRDs found in the validated tree itself, the project's
`schemas/crds/`, extra `--schema-location`s, then the Kubernetes schemas bundled
with the `kubernetes-validate` package for the target version (strict sets
reject unknown fields). Every schema is compiled once per process with
jsonschema-rs through `bkgen.kube.compile_schema`, which refuses every retrieval: nothing is
ever fetched over the network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bkgen.errors import UsageError, display_path
from bkgen.kube.api_groups import builtin, protected
from bkgen.kube.compile_schema import compile_native
from bkgen.kube.versions import (
    BUNDLED,
    bundled_dir,
    definitions,
    file_stem,
    nearest,
    normalize_version,
    span,
)

__all__ = ["SchemaStore", "crd_schemas", "split_api"]


def split_api(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


_REF = re.compile(r'"\$ref":\s*"(?:_definitions\.json)?#/definitions/([^"]+)"')


def _inline(schema: dict[str, Any], directory: Path) -> dict[str, Any]:
    """kubernetes-validate schemas `$ref` a shared _definitions.json (about 1 MB); inline only
    the definitions this kind reaches, so each compiled validator stays small."""
    text = json.dumps(schema)
    if "_definitions.json" not in text:
        return schema
    found = definitions(directory)
    needed: dict[str, Any] = {}
    todo = _REF.findall(text)
    while todo:
        name = todo.pop()
        if name in needed or name not in found:
            continue
        needed[name] = found[name]
        todo += _REF.findall(json.dumps(found[name]))
    text = text.replace('"_definitions.json#/definitions/', '"#/definitions/')
    out: dict[str, Any] = json.loads(text)
    out["definitions"] = json.loads(
        json.dumps(needed).replace('"_definitions.json#/definitions/', '"#/definitions/')
    )
    return out


class SchemaStore:
    """Per-process cache: (apiVersion, kind) -> compiled validator or None."""

    def __init__(
        self,
        kube_version: str,
        strict: bool,
        crd_dirs: Sequence[Path] = (),
        locations: Sequence[str] = (),
        tree_crds: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    ) -> None:
        self.kube_version = normalize_version(kube_version)
        if self.kube_version not in BUNDLED and not locations:
            close = nearest(self.kube_version, BUNDLED)
            raise UsageError(
                f"no bundled schemas for Kubernetes {self.kube_version} (bundled: {span(BUNDLED)})",
                hint=f"--kube-version {close}, or `bkgen validate --schema-location DIR` "
                "with schemas for that version",
            )
        self.bundled = bundled_dir(self.kube_version, strict)
        self.strict = strict
        self.crd_dirs = tuple(crd_dirs)
        self.locations = tuple(locations)
        self.tree_crds = dict(tree_crds or {})
        self._cache: dict[tuple[str, str], Any] = {}

    def validator(self, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        if key not in self._cache:
            found = self._find(api_version, kind)
            self._cache[key] = None if found is None else compile_native(*found)
        return self._cache[key]

    def _find(self, api_version: str, kind: str) -> tuple[dict[str, Any], str] | None:
        """The schema and the name to show when it is refused."""
        group, version = split_api(api_version)
        # A CRD never replaces a built-in or Argo CD schema (rule `crd-override` reports it).
        if not protected(group) and (key := self.tree_crds.get((api_version, kind))):
            return dict(key), f"CRD {kind}.{group} in the validated tree"
        for directory in () if builtin(group) else self.crd_dirs:
            candidate = directory / (group or "core") / f"{kind.lower()}-{version}.json"
            if candidate.is_file():
                return _read(candidate), display_path(candidate)
        for template in self.locations:
            path = Path(_expand(template, api_version, kind, self.kube_version, self.strict))
            if path.is_dir():
                path = path / f"{file_stem(api_version, kind)}.json"
            if path.is_file():
                return _inline(_read(path), path.parent), display_path(path)
        path = self.bundled / f"{file_stem(api_version, kind)}.json"
        if path.is_file():
            shown = f"kubernetes-validate:{path.parent.name}/{path.name}"
            return _inline(_read(path), self.bundled), shown
        return None


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _expand(template: str, api_version: str, kind: str, kube: str, strict: bool) -> str:
    """kubeconform-style location templates, offline only."""
    if re.match(r"^[a-z]+://", template) and not template.startswith("file://"):
        raise UsageError(
            f"schema location {template!r} is a URL; bkgen validates offline only",
            hint="download the schemas and pass the directory",
        )
    group, version = split_api(api_version)
    values = {
        "NormalizedKubernetesVersion": f"v{kube}.0",
        "KubernetesVersion": f"{kube}.0",
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": version,
        "Group": group,
        "KindSuffix": f"-{group.split('.')[0]}-{version}" if group else f"-{version}",
    }
    out = template.removeprefix("file://")
    for name, value in values.items():
        out = re.sub(r"\{\{\s*\." + name + r"\s*\}\}", value, out)
    return out


def crd_schemas(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every served version of a CRD document."""
    spec = doc.get("spec") or {}
    group = spec.get("group")
    kind = (spec.get("names") or {}).get("kind")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    if not isinstance(group, str) or not isinstance(kind, str):
        return out
    for version in spec.get("versions") or []:
        if not isinstance(version, Mapping):
            continue
        schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"}
        out[(f"{group}/{version.get('name')}", kind)] = _crd_to_jsonschema(schema)
    return out


def _crd_to_jsonschema(schema: Any) -> Any:
    """OpenAPI v3 structural schemas are JSON Schema plus x-kubernetes-*; drop those."""
    if isinstance(schema, Mapping):
        out = {
            k: _crd_to_jsonschema(v) for k, v in schema.items() if not k.startswith("x-kubernetes")
        }
        if schema.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if schema.get("nullable") is True and "type" in out:
            out["type"] = [out["type"], "null"]
        out.pop("nullable", None)
        return out
    if isinstance(schema, list):
        return [_crd_to_jsonschema(v) for v in schema]
    return schema
