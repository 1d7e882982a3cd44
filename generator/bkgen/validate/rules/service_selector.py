"""A Service's selector matches the pod template of some workload in its namespace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "service-selector"
SEVERITY = "warning"
RATIONALE = "A selector that matches nothing gives a Service with no endpoints: healthy, and dead."


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    # (namespace, label, value) -> pod templates carrying it: linear, not services x pods.
    index: dict[tuple[str, str, str], list[Mapping[str, str]]] = defaultdict(list)
    for item in facts:
        if item.pod_labels:
            for key, value in item.pod_labels.items():
                index[(item.namespace, key, value)].append(item.pod_labels)
    if not index:
        return  # workloads are elsewhere (e.g. charts Argo CD renders): nothing to compare
    for position, item in enumerate(facts):
        if item.kind != "Service" or not item.selector:
            continue
        wanted = item.selector.items()
        candidates = min(
            (index.get((item.namespace, k, v), []) for k, v in wanted), key=len, default=[]
        )
        if not any(wanted <= labels.items() for labels in candidates):
            yield Hit(
                f"selector {dict(item.selector)} matches no pod template in namespace "
                f"{item.namespace!r}",
                ("spec", "selector"),
                index=position,
            )
