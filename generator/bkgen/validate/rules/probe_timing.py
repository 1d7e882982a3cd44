"""The liveness probe gives a container the time its readiness probe needs to succeed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.pods import LONG_RUNNING, containers
from bkgen.validate.rules import Hit, RuleContext

ID = "probe-timing"
SEVERITY = "warning"
RATIONALE = (
    "A liveness probe that gives up before readiness can first succeed restarts a slow "
    "starter forever: CrashLoopBackOff, never Ready."
)


def _number(probe: Mapping[str, Any], key: str, default: int) -> int:
    value = probe.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def ready_at(probe: Mapping[str, Any]) -> int:
    """Seconds after start at which readiness can first pass (successThreshold in a row)."""
    period = _number(probe, "periodSeconds", 10)
    return (
        _number(probe, "initialDelaySeconds", 0)
        + (_number(probe, "successThreshold", 1) - 1) * period
    )


def killed_at(probe: Mapping[str, Any]) -> int:
    """Seconds after start at which liveness restarts a container that never answered:
    failureThreshold failures in a row, the last one after its timeout."""
    period = _number(probe, "periodSeconds", 10)
    return (
        _number(probe, "initialDelaySeconds", 0)
        + (_number(probe, "failureThreshold", 3) - 1) * period
        + _number(probe, "timeoutSeconds", 1)
    )


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") not in LONG_RUNNING:
        return
    for path, container, is_init in containers(doc):
        readiness, liveness = container.get("readinessProbe"), container.get("livenessProbe")
        if is_init or not isinstance(readiness, dict) or not isinstance(liveness, dict):
            continue
        if container.get("startupProbe"):  # liveness waits for the startup probe
            continue
        ready, killed = ready_at(readiness), killed_at(liveness)
        if killed <= ready:
            yield Hit(
                f"container {container.get('name', '?')!r}: liveness restarts it after "
                f"{killed}s without an answer, but readiness cannot pass before {ready}s",
                (*path, "livenessProbe"),
                hint="raise livenessProbe initialDelaySeconds or failureThreshold past the "
                "readiness delay, or add a startupProbe",
            )
