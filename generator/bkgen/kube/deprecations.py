"""Which apiVersions Kubernetes deprecated and removed, and in which minor version.

Kubernetes knowledge shared by the `deprecated-api` rule, `bkgen migrate-apis` and the field
types of substituted variables; it decides nothing about findings.
"""

from __future__ import annotations

# (apiVersion, kind or "*") -> (deprecated in minor, removed in minor, replacement)
_TABLE: dict[tuple[str, str], tuple[int, int, str]] = {
    ("extensions/v1beta1", "Deployment"): (9, 16, "apps/v1"),
    ("extensions/v1beta1", "DaemonSet"): (9, 16, "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet"): (9, 16, "apps/v1"),
    ("extensions/v1beta1", "NetworkPolicy"): (9, 16, "networking.k8s.io/v1"),
    ("extensions/v1beta1", "PodSecurityPolicy"): (10, 16, "policy/v1beta1"),
    ("extensions/v1beta1", "Ingress"): (14, 22, "networking.k8s.io/v1"),
    ("apps/v1beta1", "*"): (9, 16, "apps/v1"),
    ("apps/v1beta2", "*"): (9, 16, "apps/v1"),
    ("networking.k8s.io/v1beta1", "Ingress"): (19, 22, "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "IngressClass"): (19, 22, "networking.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "*"): (17, 22, "rbac.authorization.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", "*"): (16, 22, "apiextensions.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "*"): (16, 22, "admissionregistration.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "*"): (14, 22, "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "StorageClass"): (19, 22, "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIDriver"): (19, 22, "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSINode"): (17, 22, "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"): (19, 22, "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): (24, 27, "storage.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", "*"): (19, 22, "certificates.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", "*"): (14, 22, "coordination.k8s.io/v1"),
    ("apiregistration.k8s.io/v1beta1", "*"): (19, 22, "apiregistration.k8s.io/v1"),
    ("batch/v1beta1", "CronJob"): (21, 25, "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget"): (21, 25, "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy"): (21, 25, "Pod Security admission"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): (21, 25, "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "Event"): (19, 25, "events.k8s.io/v1"),
    ("node.k8s.io/v1beta1", "RuntimeClass"): (20, 25, "node.k8s.io/v1"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): (22, 25, "autoscaling/v2"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): (23, 26, "autoscaling/v2"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "*"): (23, 26, "flowcontrol.apiserver.k8s.io/v1beta3"),
}


def lookup(api_version: str, kind: str) -> tuple[int, int, str] | None:
    return _TABLE.get((api_version, kind)) or _TABLE.get((api_version, "*"))


def removed(api_version: str, kind: str, minor: int) -> bool:
    entry = lookup(api_version, kind)
    return entry is not None and minor >= entry[1]
