"""Split renderer output into Kubernetes objects, with errors that name the source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bkgen.errors import Location, RenderError
from bkgen.render import Manifest
from bkgen.yamlio import load_all_plain


def split_documents(text: str, source: str) -> list[Manifest]:
    """Every non-empty document of `text`; `kind: List` is flattened."""
    try:
        docs = list(load_all_plain(text, source))
    except ValueError as err:
        raise RenderError(
            f"rendered output is not valid YAML: {err}", location=Location(source)
        ) from None
    out: list[Manifest] = []
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        out.extend(_objects(doc, f"{source}#{index}"))
    return out


def _objects(doc: Any, source: str) -> Iterable[Manifest]:
    if not isinstance(doc, Mapping):
        raise RenderError("a rendered document is not a mapping", location=Location(source))
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from _objects(item, source)
        return
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            raise RenderError(f"rendered object has no {key}", location=Location(source))
    metadata = doc.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str):
        raise RenderError(f"rendered {doc['kind']} has no metadata.name", location=Location(source))
    yield Manifest(dict(doc), source)
