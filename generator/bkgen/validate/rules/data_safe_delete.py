"""Namespaces, PersistentVolumes and claims carry `Delete=false,Prune=false` for Argo CD.

This module is also the definition `bkgen.argocd.retain` applies when rendering, so the
rule and the renderer cannot disagree about what "data-safe" means.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext

ID = "data-safe-delete"
SEVERITY = "error"
RATIONALE = (
    "Deleting an Application (or pruning) deletes its Namespace with every PVC and "
    "in-cluster Secret in it, or a volume with its data."
)

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
STATEFUL_KINDS = frozenset({"Namespace", "PersistentVolume", "PersistentVolumeClaim"})
REQUIRED = ("Delete=false", "Prune=false")
# Only objects bkgen renders for Argo CD are errors; other input gets a warning.
RENDERED_LABEL = "bkgen.io/release"


def options(annotations: Mapping[str, Any] | None) -> list[str]:
    """Sync options of the annotation value, split the way Argo CD does (comma, trimmed)."""
    raw = str((annotations or {}).get(SYNC_OPTIONS) or "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def missing(doc: Mapping[str, Any]) -> list[str]:
    """Which of `Delete=false`, `Prune=false` a stateful object lacks (empty: safe)."""
    if doc.get("kind") not in STATEFUL_KINDS or str(doc.get("apiVersion")) != "v1":
        return []
    meta = doc.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    have = {o.replace(" ", "") for o in options(annotations)}
    return [o for o in REQUIRED if o not in have]


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    lacking = missing(doc)
    if not lacking:
        return
    meta = doc.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    rendered = isinstance(labels, dict) and RENDERED_LABEL in labels
    yield Hit(
        f"{doc['kind']} lacks {', '.join(lacking)} in {SYNC_OPTIONS}: deleting its Application "
        "or pruning it deletes the data",
        ("metadata", "annotations"),
        f"annotate {SYNC_OPTIONS}: {','.join(REQUIRED)} (bkgen render does this for its "
        "own objects); docs/argocd.md says how to tear down on purpose",
        severity=None if rendered else "warning",
    )
