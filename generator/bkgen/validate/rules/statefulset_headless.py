"""A StatefulSet's serviceName is a headless Service in its namespace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext
from bkgen.validate.rules.references import declared_external

ID = "statefulset-headless"
SEVERITY = "error"
RATIONALE = (
    "Without the governing headless Service, pods get no stable DNS names (mongodb, es, zk)."
)


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    services = {(f.namespace, f.name): f for f in facts if f.kind == "Service"}
    for index, item in enumerate(facts):
        if item.kind != "StatefulSet":
            continue
        if not item.service_name:
            yield Hit("StatefulSet has no spec.serviceName", ("spec",), index=index)
            continue
        service = services.get((item.namespace, item.service_name))
        if service is None:
            if not declared_external("Service", item.namespace, item.service_name, ctx, item):
                # Kubernetes accepts it (bitnami mysql 4.5.5, BlueKing 7.0's, names a
                # Service it never creates); only the per-pod DNS names are missing.
                yield Hit(
                    f"serviceName {item.service_name!r} is not a Service in the tree: pods "
                    "get no stable per-pod DNS names",
                    ("spec", "serviceName"),
                    index=index,
                    severity="warning",
                )
        elif not service.headless:
            # Valid Kubernetes (bitnami charts do it): pods still run, only their per-pod DNS
            # names are missing. A warning, not an error.
            yield Hit(
                f"Service {item.service_name!r} is not headless (clusterIP: None): "
                "pods get no stable per-pod DNS names",
                ("spec", "serviceName"),
                index=index,
                severity="warning",
            )
