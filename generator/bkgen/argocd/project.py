"""The environment's AppProject, as narrow as what bkgen renders allows.

Sources: the environment's git repository plus the chart repositories of releases Argo
CD renders. Destinations: the namespaces releases install into. Cluster-scoped kinds:
exactly those in the rendered tree when every chart is rendered here; when some chart
is left for Argo CD to render, bkgen cannot see its objects, so the rendered kinds are
widened by `CHART_CLUSTER_KINDS` (what the catalog's charts are known to create) —
never `*`. A chart that needs more fails its sync with "not permitted in project",
which names the kind to add here. Orphaned-resource monitoring is left off when a
destination is a namespace bkgen shares with the cluster (kube-system, default):
Argo CD's docs warn that watching such namespaces is expensive and all noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bkgen.charts.source import repository_url
from bkgen.overlay.load import Environment, release_namespace
from bkgen.render import MODE_ARGOCD_HELM, RenderedRelease

API = "argoproj.io/v1alpha1"

# Cluster-scoped kinds the BlueKing and bitnami charts of the catalog create (RBAC for
# operators and controllers, CRDs, ingress classes, admission webhooks, API services).
CHART_CLUSTER_KINDS: tuple[tuple[str, str], ...] = (
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("networking.k8s.io", "IngressClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("scheduling.k8s.io", "PriorityClass"),
)
SHARED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def labels(env: Environment) -> dict[str, str]:
    return {"bkgen.io/env": env.name}


def cluster_whitelist(
    rendered: Sequence[RenderedRelease], cluster_kinds: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    kinds = set(cluster_kinds)
    if any(r.mode == MODE_ARGOCD_HELM for r in rendered):
        kinds |= set(CHART_CLUSTER_KINDS)
    return [{"group": g, "kind": k} for g, k in sorted(kinds)]


def project(
    env: Environment, rendered: Sequence[RenderedRelease], cluster_kinds: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    settings = env.settings
    repos = {settings.repo_url}
    by_name = {r.name: r for r in env.plan.releases}
    for item in rendered:
        if item.mode == MODE_ARGOCD_HELM:
            repos.add(repository_url(env, by_name[item.name]))
    namespaces = {release_namespace(env, r) for r in env.plan.releases} | {
        settings.argocd_namespace
    }
    # Objects that name their namespace (BCS template set instances) need it as a destination.
    namespaces |= {
        str(m.body["metadata"]["namespace"])
        for r in rendered
        for m in r.manifests
        if (m.body.get("metadata") or {}).get("namespace")
    }
    spec: dict[str, Any] = {
        "description": f"BlueKing environment {env.name} rendered by bkgen",
        "sourceRepos": sorted(repos),
        "destinations": [
            {"server": settings.destination_server, "namespace": ns} for ns in sorted(namespaces)
        ],
        "clusterResourceWhitelist": cluster_whitelist(rendered, cluster_kinds),
        "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}],
    }
    if not namespaces & SHARED_NAMESPACES:
        spec["orphanedResources"] = {"warn": True}
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": {
            "name": settings.project,
            "namespace": settings.argocd_namespace,
            "labels": labels(env),
        },
        "spec": spec,
    }
