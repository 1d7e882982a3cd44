"""Where pod specs and containers live in the workload kinds (and Argo templates)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Path = tuple[str | int, ...]

WORKLOADS = {
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
    "ReplicationController",
}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}


def pod_spec(doc: Mapping[str, Any]) -> tuple[Path, Mapping[str, Any]] | None:
    kind = doc.get("kind")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return None
    if kind == "Pod":
        return ("spec",), spec
    if kind == "CronJob":
        inner = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        pod = inner.get("spec") if isinstance(inner, dict) else None
        return (
            (("spec", "jobTemplate", "spec", "template", "spec"), pod)
            if isinstance(pod, dict)
            else None
        )
    if kind in WORKLOADS:
        template = spec.get("template") or {}
        pod = template.get("spec") if isinstance(template, dict) else None
        return (("spec", "template", "spec"), pod) if isinstance(pod, dict) else None
    return None


def containers(doc: Mapping[str, Any]) -> Iterator[tuple[Path, Mapping[str, Any], bool]]:
    """(path, container, is_init) of every container of a workload or Argo template."""
    found = pod_spec(doc)
    if found is not None:
        base, pod = found
        for key in ("initContainers", "containers"):
            for i, container in enumerate(pod.get(key) or []):
                if isinstance(container, dict):
                    yield (*base, key, i), container, key == "initContainers"
        return
    if doc.get("kind") in ("Workflow", "WorkflowTemplate", "CronWorkflow"):
        spec = doc.get("spec") or {}
        if doc.get("kind") == "CronWorkflow":
            spec = spec.get("workflowSpec") or {}
        for i, template in enumerate(spec.get("templates") or []):
            if not isinstance(template, dict):
                continue
            for key in ("container", "script"):
                if isinstance(template.get(key), dict):
                    yield ("spec", "templates", i, key), template[key], False
