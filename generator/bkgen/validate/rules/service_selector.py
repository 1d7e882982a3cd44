"""A Service's selector matches the pod template of some workload in its namespace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "service-selector"
SEVERITY = "warning"
RATIONALE = "A selector that matches nothing gives a Service with no endpoints: healthy, and dead."


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    pods = [(f.namespace, f.pod_labels) for f in facts if f.pod_labels]
    if not pods:
        return  # workloads are elsewhere (e.g. charts Argo CD renders): nothing to compare
    for index, item in enumerate(facts):
        if item.kind != "Service" or not item.selector:
            continue
        wanted = item.selector.items()
        if not any(ns == item.namespace and wanted <= labels.items() for ns, labels in pods):
            yield Hit(
                f"selector {dict(item.selector)} matches no pod template in namespace "
                f"{item.namespace!r}",
                ("spec", "selector"),
                index=index,
            )
