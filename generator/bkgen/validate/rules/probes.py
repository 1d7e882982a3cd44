"""Long-running workloads have readiness and liveness probes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.pods import LONG_RUNNING, containers
from bkgen.validate.rules import Hit, RuleContext

ID = "probes"
SEVERITY = "warning"
RATIONALE = (
    "Without probes a wave is 'healthy' before the service answers, and hung pods never restart."
)


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") not in LONG_RUNNING:
        return
    for path, container, is_init in containers(doc):
        if is_init:
            continue
        missing = [p for p in ("readinessProbe", "livenessProbe") if not container.get(p)]
        if missing:
            yield Hit(
                f"container {container.get('name', '?')!r} has no {' or '.join(missing)}", path
            )
