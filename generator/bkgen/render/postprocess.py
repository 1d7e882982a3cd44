"""Uniform finishing of every rendered object: namespace, labels, image registry.

Runs after rendering and before validation; the only stage that edits objects
across releases, so the rules live in one place:

- namespaced kinds without a namespace get the release's namespace (Helm leaves
  that to `helm install -n`, which GitOps does not run);
- every object is labelled `app.kubernetes.io/part-of: <the catalog's partOf>` (BlueKing's
  catalog says `blueking`; none without one), `app.kubernetes.io/managed-by: bkgen`,
  `bkgen.io/release: <release>`;
- null-valued fields are dropped, as the API server stores them (`drop_nulls`);
- with a private `imageRegistry` (the FAQ's offline-registry case) images from
  hub.bktencent.com and Docker Hub are pulled from it instead.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

# Built-in cluster-scoped kinds; CRDs in the tree add their own (scope: Cluster).
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeSnapshotClass",
        "VolumeSnapshotContent",
        "ClusterIssuer",
    }
)

DEFAULT_REGISTRY = "hub.bktencent.com"
_REWRITTEN_REGISTRIES = (DEFAULT_REGISTRY, "docker.io", "registry-1.docker.io", "index.docker.io")
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def cluster_scoped_kinds(objects: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    extra = {
        str(o.get("spec", {}).get("names", {}).get("kind"))
        for o in objects
        if o.get("kind") == "CustomResourceDefinition"
        and o.get("spec", {}).get("scope") == "Cluster"
    }
    return CLUSTER_SCOPED | extra


def split_image(image: str) -> tuple[str, str]:
    """(registry, rest); Docker Hub's implicit registry is made explicit."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", image if "/" in image else f"library/{image}"


def rewrite_image(image: str, registry: str) -> str:
    if registry == DEFAULT_REGISTRY:
        return image
    source, rest = split_image(image)
    if source == registry or source not in _REWRITTEN_REGISTRIES:
        return image
    return f"{registry}/{rest}"


def _rewrite_images(node: Any, registry: str) -> None:
    """Walk pod specs wherever they nest (Deployment, CronJob, Argo Workflow templates)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _CONTAINER_LISTS and isinstance(value, list):
                for container in value:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        container["image"] = rewrite_image(container["image"], registry)
            if (
                key in ("container", "script")
                and isinstance(value, dict)
                and isinstance(value.get("image"), str)
            ):
                value["image"] = rewrite_image(value["image"], registry)
            _rewrite_images(value, registry)
    elif isinstance(node, list):
        for item in node:
            _rewrite_images(item, registry)


def drop_nulls(node: Any) -> Any:
    """Mapping entries whose value is null, removed at every depth.

    Charts emit `annotations: null` or `resources: null` for optional fields left empty;
    the API server stores such a field as absent, so the tree shows it absent (what the
    cluster holds, what `kubectl get -o yaml` shows, what Argo CD compares against).
    Nulls inside lists are kept: there they are values, and dropping one would shift
    the others.
    """
    if isinstance(node, dict):
        return {k: drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [drop_nulls(v) for v in node]
    return node


def finish(
    body: Mapping[str, Any],
    *,
    release: str,
    namespace: str,
    cluster_kinds: frozenset[str],
    registry: str,
    part_of: str,
) -> dict[str, Any]:
    """A finished copy of `body`; the input is not modified."""
    out: dict[str, Any] = drop_nulls(copy.deepcopy(dict(body)))
    metadata = out.setdefault("metadata", {})
    if out.get("kind") not in cluster_kinds:
        if not metadata.get("namespace"):
            metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)
    labels = metadata.get("labels") or {}
    if part_of:
        labels["app.kubernetes.io/part-of"] = part_of
    labels.update({"app.kubernetes.io/managed-by": "bkgen", "bkgen.io/release": release})
    metadata["labels"] = labels
    if out.get("kind") not in ("Application", "AppProject"):
        _rewrite_images(out, registry)
    return out
