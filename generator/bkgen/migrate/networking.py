"""Ingress (extensions/v1beta1, networking.k8s.io/v1beta1) to networking.k8s.io/v1.

v1 wants `pathType` on every path and the backend as `service: {name, port:
{number|name}}`; `spec.backend` became `spec.defaultBackend`. `pathType:
ImplementationSpecific` is what v1beta1 paths meant. A `servicePort` that is a
template variable is refused: whether it becomes `number` or `name` is only
known at render, and guessing wrong breaks routing.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from bkgen.migrate._edit import (
    Unconvertible,
    insert_after,
    insert_before,
    is_masked,
    mapping,
    rename,
)

TARGET = "networking.k8s.io/v1"


def _backend(backend: Any, where: str) -> None:
    if not isinstance(backend, CommentedMap) or "serviceName" not in backend:
        if isinstance(backend, CommentedMap) and "resource" in backend:
            return
        raise Unconvertible(f"{where} has no serviceName")
    port = backend.get("servicePort")
    if is_masked(port):
        raise Unconvertible(f"{where}.servicePort is a variable: number or name is unknown")
    if isinstance(port, int):
        port_map = mapping(number=port)
    elif isinstance(port, str) and port.isdigit():
        port_map = mapping(number=int(port))
    elif isinstance(port, str) and port:
        port_map = mapping(name=port)
    else:
        raise Unconvertible(f"{where} has no servicePort")
    service = mapping(name=backend["serviceName"], port=port_map)
    insert_before(backend, "serviceName", "service", service)
    del backend["serviceName"]
    del backend["servicePort"]


def convert(doc: CommentedMap, old_api: str) -> list[str]:
    spec = doc.get("spec")
    if not isinstance(spec, CommentedMap):
        raise Unconvertible("Ingress has no spec")
    notes: list[str] = []
    if "backend" in spec:
        _backend(spec["backend"], "spec.backend")
        rename(spec, "backend", "defaultBackend")
        notes.append("spec.backend -> spec.defaultBackend")
    added = 0
    for r, rule in enumerate(spec.get("rules") or []):
        for p, path in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
            _backend(path.get("backend"), f"spec.rules[{r}].http.paths[{p}].backend")
            if "pathType" not in path:
                if "path" in path:
                    insert_after(path, "path", "pathType", "ImplementationSpecific")
                else:
                    insert_before(path, "backend", "pathType", "ImplementationSpecific")
                added += 1
    if added:
        notes.append(f"added pathType: ImplementationSpecific to {added} path(s)")
    notes.append("backends as service.name/service.port")
    doc["apiVersion"] = TARGET
    return notes


def _class(doc: CommentedMap, old_api: str) -> list[str]:
    doc["apiVersion"] = TARGET
    return []


def _policy(doc: CommentedMap, old_api: str) -> list[str]:
    doc["apiVersion"] = TARGET
    return []


CONVERSIONS = {
    ("extensions/v1beta1", "Ingress"): (TARGET, convert),
    ("networking.k8s.io/v1beta1", "Ingress"): (TARGET, convert),
    ("networking.k8s.io/v1beta1", "IngressClass"): (TARGET, _class),
    ("extensions/v1beta1", "NetworkPolicy"): (TARGET, _policy),
}
