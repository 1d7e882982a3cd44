"""A Deployment with more than one replica says how its replicas spread over nodes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.pods import pod_spec
from bkgen.validate.rules import Hit, RuleContext

ID = "replica-spread"
SEVERITY = "warning"
RATIONALE = (
    "Replicas the scheduler may stack on one node all die with it: no anti-affinity, no "
    "topology spread, no redundancy."
)


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") != "Deployment":
        return
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    replicas = (spec or {}).get("replicas", 1)
    if not isinstance(replicas, int) or replicas <= 1:
        return
    found = pod_spec(doc)
    if found is None:
        return
    where, pod = found
    affinity = pod.get("affinity") if isinstance(pod.get("affinity"), dict) else {}
    anti = (affinity or {}).get("podAntiAffinity")
    if (isinstance(anti, dict) and any(anti.values())) or pod.get("topologySpreadConstraints"):
        return
    yield Hit(
        f"{replicas} replicas and neither podAntiAffinity nor topologySpreadConstraints: "
        "they may all land on one node",
        where,
        hint="add a preferred podAntiAffinity on kubernetes.io/hostname (or a "
        "topologySpreadConstraint) selecting the pod's own labels",
    )
