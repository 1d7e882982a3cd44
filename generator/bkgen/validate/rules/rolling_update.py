"""A rolling update leaves at least one replica serving (maxUnavailable below replicas)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext

ID = "rolling-update"
SEVERITY = "warning"
RATIONALE = (
    "maxUnavailable at or above replicas lets a rollout stop every replica at once: an "
    "outage on every deploy."
)
_PERCENT = re.compile(r"^(\d+)%$")
# Where each kind keeps its rolling update (StatefulSet's maxUnavailable: Kubernetes 1.24+).
_STRATEGY = {"Deployment": "strategy", "StatefulSet": "updateStrategy"}


def unavailable(value: Any, replicas: int) -> int | None:
    """How many replicas `maxUnavailable` may stop: a count, or a percentage rounded down
    as the Deployment controller rounds it. None: not a value Kubernetes reads."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _PERCENT.match(value) if isinstance(value, str) else None
    return math.floor(int(match.group(1)) * replicas / 100) if match else None


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    key = _STRATEGY.get(str(doc.get("kind")))
    spec = doc.get("spec")
    if key is None or not isinstance(spec, dict):
        return
    strategy = spec.get(key)
    if not isinstance(strategy, dict) or strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return
    rolling = strategy.get("rollingUpdate")
    replicas = spec.get("replicas", 1)
    if not isinstance(rolling, dict) or "maxUnavailable" not in rolling:
        return
    if not isinstance(replicas, int) or replicas < 1:
        return
    value = rolling["maxUnavailable"]
    count = unavailable(value, replicas)
    if count is not None and count >= replicas:
        yield Hit(
            f"maxUnavailable {value!s} may stop {count} of {replicas} replica(s): a rollout "
            "can take every replica down",
            ("spec", key, "rollingUpdate", "maxUnavailable"),
            hint=f"keep it below {replicas} (0 with maxSurge 1 for a single replica)",
        )
