"""Argo CD objects for one environment: AppProject, root app-of-apps, child Applications.

One concept per module: `health` (the Lua that gates sync-waves, and the argocd-cm
entry carrying it), `apps` (root and children, sync policies, ignores), `project` (the
AppProject), `pins` (content pins that make changes follow the waves), `retain`
(annotations that keep stateful objects through prune and cascading deletes).
This package only builds plain dicts; writing and validating is the pipeline's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bkgen.argocd.apps import app_name, application, folder, root, root_name
from bkgen.argocd.health import APPLICATION_HEALTH_LUA, argocd_cm
from bkgen.argocd.project import API, project, root_project
from bkgen.gitops.trusted import Policy
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment
from bkgen.render import RenderedRelease

__all__ = [
    "API",
    "APPLICATION_HEALTH_LUA",
    "ArgoObjects",
    "app_name",
    "application",
    "build",
    "folder",
    "root_name",
]


@dataclass(frozen=True)
class ArgoObjects:
    bootstrap: tuple[dict[str, Any], ...]
    apps: tuple[dict[str, Any], ...]


def build(
    env: Environment,
    rendered: Sequence[RenderedRelease],
    cluster_kinds: Sequence[tuple[str, str]],
    digests: Mapping[str, str],
    policy: Policy | None = None,
) -> ArgoObjects:
    """`digests`: content digest per tree folder (`releases/<r>`, `workflows/<r>`)."""
    by_name: Mapping[str, Release] = {r.name: r for r in env.plan.releases}
    apps = tuple(application(env, by_name[r.name], r, digests) for r in rendered)
    bootstrap = (
        project(env, rendered, cluster_kinds, policy),
        root_project(env),
        root(env),
        argocd_cm(env),
    )
    return ArgoObjects(bootstrap, apps)
