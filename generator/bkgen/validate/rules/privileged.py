"""Privileged containers, hostPath volumes and hostNetwork are flagged for review."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.pods import containers, pod_spec
from bkgen.validate.rules import Hit, RuleContext

ID = "privileged"
SEVERITY = "warning"
RATIONALE = "These give a pod the node: fine for a log collector, a surprise anywhere else."


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    found = pod_spec(doc)
    if found is not None:
        base, pod = found
        if pod.get("hostNetwork"):
            yield Hit("pod uses hostNetwork", (*base, "hostNetwork"))
        for i, volume in enumerate(pod.get("volumes") or []):
            if isinstance(volume, dict) and "hostPath" in volume:
                yield Hit(
                    f"volume {volume.get('name', '?')!r} mounts hostPath "
                    f"{(volume.get('hostPath') or {}).get('path', '?')}",
                    (*base, "volumes", i),
                )
    for path, container, _ in containers(doc):
        security = container.get("securityContext") or {}
        if isinstance(security, dict) and security.get("privileged"):
            yield Hit(
                f"container {container.get('name', '?')!r} is privileged",
                (*path, "securityContext", "privileged"),
            )
