"""What a change does to data: the warnings a reviewer must read before any field.

A field diff says what changes in git; it does not say that Argo CD will fail on an
immutable field, that a "renamed" PersistentVolumeClaim is a new, empty volume while the old
one stays, or that removing a release Argo CD renders deletes objects this diff never shows.
Each of those is one `Risk`, with what to do by hand; the formats print them at the top.

Severities, most urgent first:
  will fail to sync          Kubernetes refuses the change (an immutable field)
  data at risk               the sync deletes or replaces stored data
  left behind in the cluster the object stays (Delete=false,Prune=false, or prune off) and
                             must be cleaned up by hand

This module reads the two trees and the diff; it must not print or mask (a warning names
resources, never values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bkgen.diff.model import Key, Resource, ResourceDiff, Risk, mapping, metadata
from bkgen.kube.quantity import QuantityError
from bkgen.kube.quantity import parse as quantity_value
from bkgen.overlay.merge import lookup

FAIL, DATA, LEFT = "will fail to sync", "data at risk", "left behind in the cluster"
SEVERITIES = (FAIL, DATA, LEFT)
STATEFUL = ("StatefulSet", "PersistentVolumeClaim", "PersistentVolume", "Namespace")
KEPT = ("PersistentVolumeClaim", "PersistentVolume", "Namespace")  # a new name: a new object
_SHORT = {"PersistentVolumeClaim": "pvc", "PersistentVolume": "pv", "Namespace": "namespace"}


def _kept_by_argocd(body: Mapping[str, Any]) -> bool:
    """Delete=false or Prune=false: Argo CD never deletes the object (bkgen sets both on
    namespaces, volumes and claims so that no sync can lose data)."""
    options = str(mapping(metadata(body).get("annotations")).get("argocd.argoproj.io/sync-options"))
    return "Delete=false" in options or "Prune=false" in options


def _kubectl(key: Key) -> str:
    _, kind, namespace, name = key
    where = f" -n {namespace}" if namespace else ""
    return f"kubectl delete {_SHORT.get(kind, kind.lower())}{where} {name}"


def _bytes(quantity: Any) -> Decimal | None:
    """A size as Kubernetes reads it (`kube.quantity`); None when it is not one."""
    try:
        return quantity_value(quantity)
    except QuantityError:
        return None


def _prune_off(release: str, tree: Mapping[Key, Resource]) -> bool:
    for key, resource in tree.items():
        if key[1] == "Application" and resource.release == release:
            try:
                return lookup(resource.body, ("spec", "syncPolicy", "automated", "prune")) is False
            except KeyError:
                return False
    return False


def _renamed_statefulset(item: ResourceDiff, gone: Resource) -> list[Risk]:
    """Claims of a StatefulSet are named after it: under a new name it starts empty."""
    templates = mapping(gone.body.get("spec")).get("volumeClaimTemplates") or []
    if not templates:
        return []
    text = (
        f"{item.old_label} renamed to {item.key[3]}: the new StatefulSet creates new, empty "
        f"claims (<template>-{item.key[3]}-N); the old pods stop and their claims stay in the "
        "cluster; move the data, then delete the old claims by hand"
    )
    return [Risk(DATA, item.release, item.label, text)]


def _renamed(item: ResourceDiff, old: Mapping[Key, Resource]) -> list[Risk]:
    gone = old.get(item.old_key) if item.old_key else None
    if gone is not None and item.key[1] == "StatefulSet":
        return _renamed_statefulset(item, gone)
    if gone is None or item.key[1] not in KEPT:
        return []
    kind = item.key[1]
    if _kept_by_argocd(gone.body):
        text = (
            f"{item.old_label} renamed to {item.key[3]} is not a rename: the cluster gets a new, "
            f"empty {kind} {item.key[3]} and the old one stays (Delete=false,Prune=false); move "
            f"its data, then clean up by hand: {_kubectl(gone.key)}"
        )
        return [Risk(LEFT, item.release, item.label, text)]
    text = (
        f"{item.old_label} renamed to {item.key[3]} is not a rename: the cluster gets a new, "
        f"empty {kind} and Argo CD prunes the old one with its data"
    )
    return [Risk(DATA, item.release, item.label, text)]


def _changed(item: ResourceDiff) -> list[Risk]:
    kind, out = item.key[1], []
    paths = [c.path for c in item.changes]
    if kind == "StatefulSet" and any(p.startswith("spec.volumeClaimTemplates") for p in paths):
        text = (
            f"{item.label}: spec.volumeClaimTemplates changed; the field is immutable, the sync "
            "fails (delete the StatefulSet with --cascade=orphan, then sync; its claims stay)"
        )
        out.append(Risk(FAIL, item.release, item.label, text))
    if kind != "PersistentVolumeClaim":
        return out
    for change in item.changes:
        if change.path == "spec.resources.requests.storage":
            old, now = _bytes(change.old), _bytes(change.new)
            if old is not None and now is not None and now < old:
                why = "a claim cannot shrink"
                out.append(Risk(FAIL, item.release, item.label, f"{item.label}: {why}"))
            else:
                text = (
                    f"{item.label}: size {change.old} -> {change.new}; the sync fails unless "
                    "its StorageClass allows volume expansion (local volumes do not)"
                )
                out.append(Risk(FAIL, item.release, item.label, text))
        elif change.path.startswith("spec."):
            text = f"{item.label}: {change.path} changed; a claim's spec is immutable"
            out.append(Risk(FAIL, item.release, item.label, text))
    return out


def _removed(item: ResourceDiff) -> list[Risk]:
    body = item.body or {}
    kind = item.key[1]
    if kind in STATEFUL:
        if _kept_by_argocd(body):
            text = (
                f"{item.label} removed from the tree: Argo CD leaves it (Delete=false,"
                f"Prune=false); delete it by hand once its data is not needed: {_kubectl(item.key)}"
            )
            return [Risk(LEFT, item.release, item.label, text)]
        what = {
            "Namespace": "and everything in it",
            "StatefulSet": "and its pods (its claims stay in the cluster)",
        }.get(kind, "and the data of its volume (per its reclaim policy)")
        return [
            Risk(DATA, item.release, item.label, f"{item.label} removed: Argo CD deletes it {what}")
        ]
    if kind == "Application" and _mode(body) == "helm-argocd":
        return [_cascade(item, body)]
    return []


def rename_note(item: ResourceDiff) -> str:
    """What a reviewer must read next to a "renamed" object that is really a new one."""
    if item.status == "renamed" and item.key[1] in KEPT:
        return f"not a rename: a new, empty {item.key[1]}; the old one stays (see warnings)"
    return ""


def _mode(body: Mapping[str, Any]) -> str:
    return str(mapping(metadata(body).get("annotations")).get("bkgen.io/mode") or "")


def _cascade(item: ResourceDiff, body: Mapping[str, Any]) -> Risk:
    source = mapping(mapping(body.get("spec")).get("source"))
    namespace = mapping(mapping(body.get("spec")).get("destination")).get("namespace")
    chart = f"chart {source.get('chart')} {source.get('targetRevision')}"
    finalizers = metadata(body).get("finalizers") or []
    if "resources-finalizer.argocd.argoproj.io" in finalizers:
        text = (
            f"release {item.release} removed ({chart}, namespace {namespace}): Argo CD renders it, "
            "so none of its objects is in this diff, and deleting the Application cascade-deletes "
            "every one of them (resources-finalizer), volumes' claims included"
        )
        return Risk(DATA, item.release, item.label, text)
    text = (
        f"release {item.release} removed ({chart}, namespace {namespace}): its objects (not in "
        "this diff: Argo CD renders them) stay in the cluster; delete them by hand"
    )
    return Risk(LEFT, item.release, item.label, text)


def assess(resources: Sequence[ResourceDiff], old: Mapping[Key, Resource]) -> list[Risk]:
    """Every warning of a diff, most urgent first, then by release and resource."""
    out: list[Risk] = []
    for item in resources:
        if item.status == "renamed":  # a new object: no immutable field is changed in place
            out += _renamed(item, old)
        elif item.status == "changed":
            out += _changed(item)
        elif item.status == "removed":
            found = _removed(item)
            if (
                item.key[1] in STATEFUL
                and found
                and found[0].severity == DATA
                and _prune_off(item.release, old)
            ):
                found = [
                    Risk(
                        LEFT,
                        w.release,
                        w.resource,
                        w.message.replace(
                            "Argo CD deletes it",
                            "automated prune is off: it stays until a sync with prune deletes it",
                        ),
                    )
                    for w in found
                ]
            out += found
    return sorted(out, key=lambda w: (SEVERITIES.index(w.severity), w.release, w.resource))
