"""Services that open a port on every node or to the outside: NodePort, LoadBalancer,
externalIPs.

A NodePort or LoadBalancer Service publishes a backend beyond the cluster network;
`externalIPs` lets a Service claim traffic for any address (CVE-2020-8554). BlueKing's
ingress controller is the one expected entry point; the trusted policy
(`allow.nodePort`, `allow.loadBalancer`, `allow.externalIPs`) names what may be exposed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext, subjects

ID = "exposed-service"
SEVERITY = "error"
SECURITY = True
RATIONALE = "A Service exposed beyond the cluster is an entry point nobody reviewed."

_TYPES = {"NodePort": "nodePort", "LoadBalancer": "loadBalancer"}
HINT = "if it is meant, declare it in the trusted policy (overlays/base/policy.yaml allow.{})"


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") != "Service" or doc.get("apiVersion") != "v1":
        return
    spec = doc.get("spec") or {}
    if not isinstance(spec, dict):
        return
    names = subjects(doc)
    kind = str(spec.get("type", "ClusterIP"))
    allow = _TYPES.get(kind)
    if allow and not ctx.allowed(allow, *names):
        yield Hit(f"Service of type {kind}", ("spec", "type"), HINT.format(allow))
    if spec.get("externalIPs") and not ctx.allowed("externalIPs", *names):
        yield Hit("Service sets externalIPs", ("spec", "externalIPs"), HINT.format("externalIPs"))
