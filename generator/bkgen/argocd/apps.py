"""The root app-of-apps and one child Application per release.

Choices that are Argo CD semantics, not style (docs/argocd.md has the why, per version):

- children read their files at a content pin (`pins.py`), so a change reaches a child
  only when the root applies its new spec, in wave order;
- the root retries forever (`retry.limit: -1`): a Degraded child fails the root's sync
  operation, and a finite retry would stop auto-sync for that commit for good;
- the root carries no resources finalizer: deleting it leaves the environment running;
  children keep theirs, and what holds data is annotated by `retain.py`;
- the root ignores the children's `automated` policy and `operation`
  (`RespectIgnoreDifferences=true`), so pausing a child's auto-sync by hand sticks;
- server-side-applied children ignore StatefulSet `volumeClaimTemplates` apiVersion,
  kind and status, which the API server adds and Argo CD would report as drift forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bkgen.argocd import pins
from bkgen.argocd.project import API
from bkgen.argocd.project import labels as project_labels
from bkgen.charts.source import repository_url
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment, release_namespace
from bkgen.render import MODE_ARGOCD_HELM, MODE_WORKFLOW, RenderedRelease

FINALIZER = "resources-finalizer.argocd.argoproj.io"

# argo-cd docs/operator-manual/cluster-bootstrapping.md ("Ignoring differences in child
# applications"): fields people and the controller change on a child.
CHILD_APP_IGNORES: dict[str, Any] = {
    "group": "argoproj.io",
    "kind": "Application",
    "jsonPointers": [
        "/spec/syncPolicy/automated",
        "/metadata/annotations/argocd.argoproj.io~1refresh",
        "/operation",
    ],
}
# argo-cd#11143: under server-side apply the live volumeClaimTemplates gain apiVersion,
# kind and status; the field is immutable, so ignoring them hides no possible change.
STATEFULSET_VCT_IGNORES: dict[str, Any] = {
    "group": "apps",
    "kind": "StatefulSet",
    "jqPathExpressions": [
        ".spec.volumeClaimTemplates[]?.apiVersion",
        ".spec.volumeClaimTemplates[]?.kind",
        ".spec.volumeClaimTemplates[]?.status",
    ],
}


def app_name(env: Environment, release: str) -> str:
    return f"{env.name}-{release}"


def root_name(env: Environment) -> str:
    return f"{env.name}-root"


def pinned(env: Environment) -> bool:
    """`argocd.sync.pinRevisions` (default true): children read content pins, not a branch."""
    return bool(env.settings.sync.get("pinRevisions", True))


def folder(rendered: RenderedRelease) -> str:
    kind = "workflows" if rendered.mode == MODE_WORKFLOW else "releases"
    return f"{kind}/{rendered.name}"


def _retry(env: Environment, limit: int | None = None) -> dict[str, Any]:
    retry = env.settings.sync.get("retry", {})
    return {
        "limit": int(retry.get("limit", 5)) if limit is None else limit,
        "backoff": {
            "duration": str(retry.get("duration", "10s")),
            "factor": int(retry.get("factor", 2)),
            "maxDuration": str(retry.get("maxDuration", "5m")),
        },
    }


def _automated(env: Environment) -> dict[str, Any] | None:
    sync = env.settings.sync
    if not sync.get("automated", True):
        return None
    return {"prune": bool(sync.get("prune", True)), "selfHeal": bool(sync.get("selfHeal", True))}


def _policy(env: Environment, options: list[str], limit: int | None = None) -> dict[str, Any]:
    policy: dict[str, Any] = {"syncOptions": options, "retry": _retry(env, limit)}
    automated = _automated(env)
    if automated is not None:
        policy["automated"] = automated
    return policy


def _source(
    env: Environment, release: Release, rendered: RenderedRelease, digests: Mapping[str, str]
) -> dict[str, Any]:
    settings = env.settings
    if rendered.mode == MODE_ARGOCD_HELM:
        assert release.chart is not None
        return {
            "repoURL": repository_url(env, release),
            "chart": release.chart.name,
            "targetRevision": env.versions[release.name],
            "helm": {"releaseName": release.name, "valuesObject": rendered.values or {}},
        }
    where = folder(rendered)
    revision = settings.target_revision
    if pinned(env):
        revision = pins.tag(env.name, release.name, digests[where])
    return {
        "repoURL": settings.repo_url,
        "targetRevision": revision,
        "path": f"{settings.path}/{where}",
        "directory": {"recurse": False, "exclude": pins.VALUES_FILE},
    }


def application(
    env: Environment, release: Release, rendered: RenderedRelease, digests: Mapping[str, str]
) -> dict[str, Any]:
    options = []
    if env.settings.sync.get("createNamespace", True):
        options.append("CreateNamespace=true")
    spec: dict[str, Any] = {
        "project": env.settings.project,
        "source": _source(env, release, rendered, digests),
        "destination": {
            "server": env.settings.destination_server,
            "namespace": release_namespace(env, release),
        },
    }
    if release.server_side_apply:
        options += ["ServerSideApply=true", "RespectIgnoreDifferences=true"]
        spec["ignoreDifferences"] = [STATEFULSET_VCT_IGNORES]
    options.append("PruneLast=true")
    spec["syncPolicy"] = _policy(env, options)
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": {
            "name": app_name(env, release.name),
            "namespace": env.settings.argocd_namespace,
            "labels": {
                **project_labels(env),
                "bkgen.io/release": release.name,
                "bkgen.io/suite": release.suite,
            },
            "annotations": {
                "argocd.argoproj.io/sync-wave": str(env.plan.waves[release.name]),
                "bkgen.io/needs": ",".join(env.plan.needs[release.name]),
                "bkgen.io/version": env.versions.get(release.name, ""),
                "bkgen.io/mode": rendered.mode,
                # Only a platform whose versions.yaml says `blueking:` (the BlueKing catalog).
                **(
                    {"bkgen.io/blueking-version": env.blueking_version}
                    if env.blueking_version
                    else {}
                ),
            },
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }


def root(env: Environment) -> dict[str, Any]:
    settings = env.settings
    options = ["PruneLast=true", "RespectIgnoreDifferences=true"]
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": {
            "name": root_name(env),
            "namespace": settings.argocd_namespace,
            "labels": project_labels(env),
        },
        "spec": {
            "project": f"{settings.project}-root",  # argocd.project.root_project_name
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
            "ignoreDifferences": [CHILD_APP_IGNORES],
            "syncPolicy": _policy(env, options, limit=-1),
        },
    }
