"""Ingress backends name a Service and port that exist in the tree."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext
from bkgen.validate.rules.references import declared_external

ID = "ingress-backend"
SEVERITY = "error"
RATIONALE = "A backend that does not exist answers every request with 503."


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    services = {(f.namespace, f.name): f for f in facts if f.kind == "Service"}
    for index, item in enumerate(facts):
        for service, port in item.backends:
            target = services.get((item.namespace, service))
            if target is None:
                if not declared_external("Service", item.namespace, service, ctx, item):
                    yield Hit(
                        f"backend Service {service!r} is not in the tree",
                        ("spec",),
                        "declare it in validation.externalRefs if another system creates it",
                        index=index,
                    )
            elif port not in target.service_ports:
                yield Hit(
                    f"backend port {port!r} is not a port of Service {service!r}",
                    ("spec",),
                    f"ports: {', '.join(target.service_ports)}",
                    index=index,
                )
