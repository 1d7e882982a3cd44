"""Workloads from extensions/v1beta1, apps/v1beta1 and apps/v1beta2 to apps/v1.

apps/v1 requires `spec.selector`. The old versions defaulted it to the pod
template's labels, and a live object keeps the selector it was created with
(it is immutable), so the conversion writes exactly that: every template label,
variables included (they resolve to the same values per instance). Defaults that
changed are written out so behaviour does not move: DaemonSet (extensions) and
StatefulSet (apps/v1beta1) updated `OnDelete` unless told otherwise.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from bkgen.migrate._edit import Unconvertible, insert_after, insert_before, mapping

TARGET = "apps/v1"
_KINDS = ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet")


def convert(doc: CommentedMap, old_api: str) -> list[str]:
    kind = str(doc["kind"])
    spec = doc.get("spec")
    if not isinstance(spec, CommentedMap):
        raise Unconvertible(f"{kind} has no spec")
    if "rollbackTo" in spec:
        raise Unconvertible("spec.rollbackTo has no apps/v1 equivalent (use kubectl rollout undo)")
    notes: list[str] = []
    if "selector" not in spec:
        template: Any = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not labels:
            raise Unconvertible("no spec.selector and no pod template labels to derive it from")
        match = CommentedMap()
        for key, value in labels.items():
            match[key] = value
        insert_before(spec, "template", "selector", mapping(matchLabels=match))
        notes.append(
            "added spec.selector.matchLabels from the template labels "
            f"({', '.join(str(k) for k in labels)})"
        )
    if "templateGeneration" in spec:
        del spec["templateGeneration"]
        notes.append("dropped spec.templateGeneration (ignored since 1.6)")
    old_default_on_delete = (kind == "DaemonSet" and old_api == "extensions/v1beta1") or (
        kind == "StatefulSet" and old_api == "apps/v1beta1"
    )
    if old_default_on_delete and "updateStrategy" not in spec:
        insert_after(spec, "selector", "updateStrategy", mapping(type="OnDelete"))
        notes.append(f"kept {old_api}'s default updateStrategy OnDelete")
    doc["apiVersion"] = TARGET
    return notes


CONVERSIONS = {
    (api, kind): (TARGET, convert)
    for api in ("apps/v1beta1", "apps/v1beta2")
    for kind in _KINDS
    if not (api == "apps/v1beta1" and kind in ("DaemonSet", "ReplicaSet"))
} | {("extensions/v1beta1", kind): (TARGET, convert) for kind in _KINDS[:3]}
