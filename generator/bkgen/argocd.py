"""Argo CD objects for one environment: AppProject, root app-of-apps, one Application per release.

Waves only gate each other when Argo CD assesses the health of child
Applications, which it stopped doing in 1.8; the bootstrap therefore carries
the `resource.customizations.health.argoproj.io_Application` setting for
argocd-cm (applied server-side so only that key is owned by bkgen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bkgen.catalog import Release
from bkgen.overlay import Environment, release_namespace
from bkgen.render import MODE_ARGOCD_HELM, MODE_WORKFLOW, RenderedRelease

API = "argoproj.io/v1alpha1"

# Lua run by Argo CD for every Application resource: report the child's own health.
APPLICATION_HEALTH_LUA = """\
local hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
"""


@dataclass(frozen=True)
class ArgoObjects:
    bootstrap: tuple[dict[str, Any], ...]
    apps: tuple[dict[str, Any], ...]


def app_name(env: Environment, release: str) -> str:
    return f"{env.name}-{release}"


def root_name(env: Environment) -> str:
    return f"{env.name}-root"


def _labels(env: Environment, release: Release | None = None) -> dict[str, str]:
    labels = {"bkgen.io/env": env.name}
    if release is not None:
        labels["bkgen.io/release"] = release.name
        labels["bkgen.io/suite"] = release.suite
    return labels


def _sync_policy(env: Environment, release: Release | None) -> dict[str, Any]:
    sync = env.settings.sync
    options = []
    if sync.get("createNamespace", True):
        options.append("CreateNamespace=true")
    if release is not None and release.server_side_apply:
        options.append("ServerSideApply=true")
    options.append("PruneLast=true")
    retry = sync.get("retry", {})
    policy: dict[str, Any] = {
        "syncOptions": options,
        "retry": {
            "limit": int(retry.get("limit", 5)),
            "backoff": {
                "duration": str(retry.get("duration", "10s")),
                "factor": int(retry.get("factor", 2)),
                "maxDuration": str(retry.get("maxDuration", "5m")),
            },
        },
    }
    if sync.get("automated", True):
        policy["automated"] = {
            "prune": bool(sync.get("prune", True)),
            "selfHeal": bool(sync.get("selfHeal", True)),
        }
    return policy


def _source(env: Environment, release: Release, rendered: RenderedRelease) -> dict[str, Any]:
    settings = env.settings
    if rendered.mode == MODE_ARGOCD_HELM:
        assert release.chart is not None
        return {
            "repoURL": release.chart.repo_url,
            "chart": release.chart.name,
            "targetRevision": env.versions[release.name],
            "helm": {"releaseName": release.name, "valuesObject": rendered.values or {}},
        }
    folder = "workflows" if rendered.mode == MODE_WORKFLOW else "releases"
    return {
        "repoURL": settings.repo_url,
        "targetRevision": settings.target_revision,
        "path": f"{settings.path}/{folder}/{release.name}",
        "directory": {"recurse": False, "exclude": "values.yaml"},
    }


def application(env: Environment, release: Release, rendered: RenderedRelease) -> dict[str, Any]:
    wave = env.plan.waves[release.name]
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": {
            "name": app_name(env, release.name),
            "namespace": env.settings.argocd_namespace,
            "labels": _labels(env, release),
            "annotations": {
                "argocd.argoproj.io/sync-wave": str(wave),
                "bkgen.io/needs": ",".join(env.plan.needs[release.name]),
                "bkgen.io/version": env.versions.get(release.name, ""),
                "bkgen.io/blueking-version": env.blueking_version,
                "bkgen.io/mode": rendered.mode,
            },
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": env.settings.project,
            "source": _source(env, release, rendered),
            "destination": {
                "server": env.settings.destination_server,
                "namespace": release_namespace(env, release),
            },
            "syncPolicy": _sync_policy(env, release),
        },
    }


def _project(
    env: Environment, rendered: Sequence[RenderedRelease], cluster_kinds: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    settings = env.settings
    repos = {settings.repo_url}
    by_name = {r.name: r for r in env.plan.releases}
    remote = [r for r in rendered if r.mode == MODE_ARGOCD_HELM]
    for item in remote:
        chart = by_name[item.name].chart
        assert chart is not None
        repos.add(chart.repo_url)
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
    if remote:
        # Charts Argo CD renders may create any cluster-scoped kind; we cannot list them here.
        whitelist = [{"group": "*", "kind": "*"}]
    else:
        whitelist = [{"group": g, "kind": k} for g, k in sorted(set(cluster_kinds))]
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": {
            "name": settings.project,
            "namespace": settings.argocd_namespace,
            "labels": _labels(env),
        },
        "spec": {
            "description": f"BlueKing environment {env.name} rendered by bkgen",
            "sourceRepos": sorted(repos),
            "destinations": [
                {"server": settings.destination_server, "namespace": ns}
                for ns in sorted(namespaces)
            ],
            "clusterResourceWhitelist": whitelist,
            "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}],
            "orphanedResources": {"warn": True},
        },
    }


def _root(env: Environment) -> dict[str, Any]:
    settings = env.settings
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": {
            "name": root_name(env),
            "namespace": settings.argocd_namespace,
            "labels": _labels(env),
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": settings.project,
            "source": {
                "repoURL": settings.repo_url,
                "targetRevision": settings.target_revision,
                "path": f"{settings.path}/argocd/apps",
                "directory": {"recurse": False},
            },
            "destination": {
                "server": settings.destination_server,
                "namespace": settings.argocd_namespace,
            },
            "syncPolicy": _sync_policy(env, None),
        },
    }


def _argocd_cm(env: Environment) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "argocd-cm",
            "namespace": env.settings.argocd_namespace,
            "labels": {
                "app.kubernetes.io/name": "argocd-cm",
                "app.kubernetes.io/part-of": "argocd",
            },
            "annotations": {
                "bkgen.io/apply": "kubectl apply --server-side --field-manager=bkgen "
                "--force-conflicts: merges this key into the existing argocd-cm",
            },
        },
        "data": {"resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA},
    }


def build(
    env: Environment,
    rendered: Sequence[RenderedRelease],
    cluster_kinds: Sequence[tuple[str, str]],
) -> ArgoObjects:
    by_name: Mapping[str, Release] = {r.name: r for r in env.plan.releases}
    apps = tuple(application(env, by_name[r.name], r) for r in rendered)
    bootstrap = (_project(env, rendered, cluster_kinds), _root(env), _argocd_cm(env))
    return ArgoObjects(bootstrap, apps)
