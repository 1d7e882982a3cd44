"""Containers declare CPU/memory requests and limits."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.pods import containers
from bkgen.validate.rules import Hit, RuleContext

ID = "resources"
SEVERITY = "warning"
RATIONALE = (
    "Without requests the scheduler overcommits nodes; without limits one pod starves the rest."
)


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    for path, container, _ in containers(doc):
        resources = container.get("resources") or {}
        missing = [k for k in ("requests", "limits") if not (resources or {}).get(k)]
        if missing:
            yield Hit(
                f"container {container.get('name', '?')!r} has no resource {' or '.join(missing)}",
                path,
                "set resources.requests and resources.limits",
            )
