"""Which API groups belong to Kubernetes itself or to Argo CD, and so cannot be redefined.

A CustomResourceDefinition in the rendered tree is how a chart teaches the validator its own
kinds. Allowed to name a built-in group, it would replace the schema of `apps/v1 Deployment`
and let an invalid (or hostile) Deployment pass; naming `argoproj.io`, it would redefine the
Applications that deploy everything else. Both are refused (`crd-override`) and never used
as a schema. This module only answers the question; it must not read files.
"""

from __future__ import annotations

# Groups served by kube-apiserver without a CRD (Kubernetes 1.20-1.28), plus "" (core).
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "policy",
        "storage.k8s.io",
    }
)
ARGO_GROUPS = frozenset({"argoproj.io"})


def builtin(group: str) -> bool:
    """A group of Kubernetes itself (every `*.k8s.io` group is reserved by the API server)."""
    return group in BUILTIN_GROUPS or group == "k8s.io" or group.endswith(".k8s.io")


def protected(group: str) -> bool:
    """A group whose schemas no CRD in a validated tree may replace."""
    return builtin(group) or group in ARGO_GROUPS
