"""Families whose objects only change apiVersion, and the ones refused on purpose.

A rename is safe when the schema of the new version is the old one's (rbac,
batch CronJob, scheduling, storage, coordination, ...). PodDisruptionBudget is a
rename only when its selector is not empty: an empty selector selected no pod in
policy/v1beta1 and every pod of the namespace in policy/v1.
"""

from __future__ import annotations

from collections.abc import Callable

from ruamel.yaml.comments import CommentedMap

from bkgen.migrate._edit import Unconvertible

Converter = Callable[[CommentedMap, str], list[str]]


def _rename(target: str) -> Converter:
    def convert(doc: CommentedMap, old_api: str) -> list[str]:
        doc["apiVersion"] = target
        return []

    return convert


def _pdb(doc: CommentedMap, old_api: str) -> list[str]:
    selector = (doc.get("spec") or {}).get("selector")
    if not selector:
        raise Unconvertible(
            "empty spec.selector selects no pod in policy/v1beta1 but every pod in policy/v1"
        )
    doc["apiVersion"] = "policy/v1"
    return []


def _refuse(reason: str) -> Converter:
    def convert(doc: CommentedMap, old_api: str) -> list[str]:
        raise Unconvertible(reason)

    return convert


_RENAMES = {
    ("extensions/v1beta1", "PodSecurityPolicy"): "policy/v1beta1",  # refused itself from 1.25
    ("batch/v1beta1", "CronJob"): "batch/v1",
    ("batch/v2alpha1", "CronJob"): "batch/v1",
    ("rbac.authorization.k8s.io/v1beta1", "*"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1alpha1", "*"): "rbac.authorization.k8s.io/v1",
    ("scheduling.k8s.io/v1beta1", "*"): "scheduling.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "StorageClass"): "storage.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "CSIDriver"): "storage.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "CSINode"): "storage.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "VolumeAttachment"): "storage.k8s.io/v1",
    ("coordination.k8s.io/v1beta1", "*"): "coordination.k8s.io/v1",
    ("apiregistration.k8s.io/v1beta1", "*"): "apiregistration.k8s.io/v1",
    ("node.k8s.io/v1beta1", "RuntimeClass"): "node.k8s.io/v1",
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): "autoscaling/v2",
}

_REFUSED = {
    ("apiextensions.k8s.io/v1beta1", "*"): "CRD v1 needs a structural schema per version",
    ("admissionregistration.k8s.io/v1beta1", "*"): (
        "webhooks v1 need sideEffects and admissionReviewVersions decided by their author"
    ),
    ("certificates.k8s.io/v1beta1", "*"): "CSR v1 needs a signerName",
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): "metric targets changed shape in v2",
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): "topology became nodeName/zone in v1",
    ("events.k8s.io/v1beta1", "Event"): "events are written by controllers, not by manifests",
    ("policy/v1beta1", "PodSecurityPolicy"): (
        "PodSecurityPolicy is gone in 1.25: use Pod Security admission namespace labels"
    ),
}

CONVERSIONS: dict[tuple[str, str], tuple[str, Converter]] = {
    key: (target, _rename(target)) for key, target in _RENAMES.items()
}
CONVERSIONS[("policy/v1beta1", "PodDisruptionBudget")] = ("policy/v1", _pdb)
CONVERSIONS.update({key: ("", _refuse(reason)) for key, reason in _REFUSED.items()})
