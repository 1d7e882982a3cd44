"""A workload with more than one replica has a PodDisruptionBudget selecting its pods."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext
from bkgen.validate.rules._facts import REPLICATED

ID = "pod-disruption-budget"
SEVERITY = "warning"
RATIONALE = (
    "Without a PodDisruptionBudget a node drain or cluster upgrade may evict every replica "
    "at once; the replicas buy nothing then."
)


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    budgets = [f for f in facts if f.kind == "PodDisruptionBudget"]
    for index, item in enumerate(facts):
        if item.kind not in REPLICATED or item.extra.get("replicas", 1) <= 1:
            continue
        labels = item.pod_labels or {}
        if any(_selects(budget, item.namespace, labels) for budget in budgets):
            continue
        yield Hit(
            f"{item.extra['replicas']} replicas and no PodDisruptionBudget selects its pods",
            ("spec", "replicas"),
            hint="add a PodDisruptionBudget (maxUnavailable: 1) whose selector.matchLabels "
            "are the pod template's labels",
            index=index,
        )


def _selects(budget: Facts, namespace: str, labels: dict[str, str] | object) -> bool:
    if budget.namespace != namespace or not isinstance(labels, dict):
        return False
    wanted = budget.extra.get("pdb_labels") or {}
    if not wanted:  # only matchExpressions (not evaluated: taken to select) or empty
        return bool(budget.extra.get("pdb_expressions"))
    return all(labels.get(k) == v for k, v in wanted.items())
