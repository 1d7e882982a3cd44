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

What the project may grant is governed by the trusted policy (`bkgen.gitops.trusted`), never by the
tree being rendered: every destination namespace and every cluster-scoped kind must be in
the policy's `argocd.namespaces` / `argocd.clusterKinds`, or the render fails, and the
widening for charts Argo CD renders is capped by `argocd.clusterKinds`. Child
Applications never deploy into the Argo CD namespace and are denied Argo CD's own kinds
(an Application a child creates could claim any project); the root app-of-apps lives in a
second, tiny project that may create Applications in the Argo CD namespace and nothing else.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from bkgen.charts.source import repository_url
from bkgen.errors import Location, RenderError
from bkgen.gitops.trusted import Policy
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
# Kinds no child Application may create: Argo CD does not check the project a created
# Application names, so one would escape this project.
DENIED_KINDS = (
    {"group": "argoproj.io", "kind": "AppProject"},
    {"group": "argoproj.io", "kind": "Application"},
    {"group": "argoproj.io", "kind": "ApplicationSet"},
)


def root_project_name(env: Environment) -> str:
    return f"{env.settings.project}-root"


def labels(env: Environment) -> dict[str, str]:
    return {"bkgen.io/env": env.name}


def cluster_whitelist(
    rendered: Sequence[RenderedRelease],
    cluster_kinds: Sequence[tuple[str, str]],
    policy: Policy | None = None,
) -> list[dict[str, str]]:
    kinds = set(cluster_kinds)
    widen = set(CHART_CLUSTER_KINDS)
    if policy is not None:
        widen &= set(policy.cluster_kinds)  # what charts Argo CD renders may get: capped
        for group, kind in sorted(kinds - set(policy.cluster_kinds)):
            raise RenderError(
                f"cluster-scoped kind {group}/{kind} is not in the trusted policy's "
                "argocd.clusterKinds: the AppProject may not grant it",
                location=Location(policy.source),
                hint="a new cluster-scoped kind needs a reviewed change of the trusted ref",
            )
    if any(r.mode == MODE_ARGOCD_HELM for r in rendered):
        kinds |= widen
    return [{"group": g, "kind": k} for g, k in sorted(kinds)]


def _check_destinations(namespaces: set[str], policy: Policy) -> None:
    for ns in sorted(namespaces):
        if not any(fnmatch.fnmatchcase(ns, p) for p in policy.namespaces):
            raise RenderError(
                f"namespace {ns!r} is not in the trusted policy's argocd.namespaces: "
                "the AppProject may not deploy there",
                location=Location(policy.source),
                hint="a new namespace needs a reviewed change of the trusted ref",
            )


def _platform(env: Environment) -> str:
    """The catalog's name of its platform ("BlueKing 7.1"): a project says what it deploys."""
    return env.catalog.platform or "platform"


def root_project(env: Environment) -> dict[str, Any]:
    """The root app-of-apps' project: Applications in the Argo CD namespace, from the env's
    repository, and nothing else."""
    settings = env.settings
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": {
            "name": root_project_name(env),
            "namespace": settings.argocd_namespace,
            "labels": labels(env),
        },
        "spec": {
            "description": f"the app-of-apps of {_platform(env)} environment {env.name}",
            "sourceRepos": [settings.repo_url],
            "destinations": [
                {"server": settings.destination_server, "namespace": settings.argocd_namespace}
            ],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": "Application"}],
        },
    }


def project(
    env: Environment,
    rendered: Sequence[RenderedRelease],
    cluster_kinds: Sequence[tuple[str, str]],
    policy: Policy | None = None,
) -> dict[str, Any]:
    settings = env.settings
    repos = {settings.repo_url}
    by_name = {r.name: r for r in env.plan.releases}
    for item in rendered:
        if item.mode == MODE_ARGOCD_HELM:
            repos.add(repository_url(env, by_name[item.name]))
    namespaces = {release_namespace(env, r) for r in env.plan.releases}
    # Objects that name their namespace (BCS template set instances) need it as a destination.
    namespaces |= {
        str(m.body["metadata"]["namespace"])
        for r in rendered
        for m in r.manifests
        if (m.body.get("metadata") or {}).get("namespace")
    }
    # Never a child's destination; an object placed there is the `argocd-scope` finding,
    # which names its file and line.
    namespaces.discard(settings.argocd_namespace)
    if policy is not None:
        _check_destinations(namespaces, policy)
    spec: dict[str, Any] = {
        "description": f"{_platform(env)} environment {env.name} rendered by bkgen",
        "sourceRepos": sorted(repos),
        "destinations": [
            {"server": settings.destination_server, "namespace": ns} for ns in sorted(namespaces)
        ],
        "clusterResourceWhitelist": cluster_whitelist(rendered, cluster_kinds, policy),
        "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}],
        "namespaceResourceBlacklist": [dict(k) for k in DENIED_KINDS],
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
