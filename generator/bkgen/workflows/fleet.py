"""The fleet Workflow: render and publish many environments in parallel pods on Argo Workflows.

Not a runbook step (those live in `argo/`): `bkgen workflows fleet ENV...` emits this for
users who outgrow one machine. Environments are grouped into shards; each shard is one pod
of the pinned bkgen image that clones the overlay repository at a revision and runs
`bkgen publish` for its environments, so each environment is rendered exactly once, where it
is rendered, and `publish`'s retry on a moved remote settles the race between shards. The
fan-in (`report`) renders nothing: it reads each shard's status and the names of the
environments that failed, and fails the Workflow naming them. docs/fleet.md says why.

Git credentials come only from Kubernetes Secrets named on the command line; a URL that
carries credentials is refused. This module builds plain manifests (no Hera: the command
would pay its import for dicts that tests check against the upstream Argo schema anyway); it
must not read the process environment or the network.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen import __version__
from bkgen.errors import UsageError
from bkgen.gitops.publish import check_target
from bkgen.overlay.load import load_environment
from bkgen.workflows.fleet_scripts import OUT_DIR, REPORT, SHARD, SSH_DIR, TRANSIENT
from bkgen.workflows.script_text import refuse_spliced

IMAGE_NAME = "bkgen"
RUN_AS = 10001  # the image's non-root user (Dockerfile)
PARAMS = ("repo", "revision", "deployRepo", "deployBranch")


@dataclass(frozen=True)
class FleetSpec:
    envs: tuple[str, ...]
    repo: str
    revision: str
    deploy_repo: str
    image: str
    deploy_branch: str = "main"
    shards: int = 0  # 0: one shard per parallel pod (min(envs, parallelism))
    parallelism: int = 4
    retries: int = 2
    namespace: str = "argo"
    service_account: str = "bkgen-fleet"
    git_token_secret: str | None = None
    git_ssh_secret: str | None = None


def default_image(registry: str) -> str:
    """The image the Dockerfile builds, tagged with this bkgen's version."""
    return f"{registry.rstrip('/')}/{IMAGE_NAME}:{__version__}"


def check_image(image: str) -> None:
    """A tag other than `latest`, or a digest: every pod must run the same, tested bkgen."""
    name, _, digest = image.partition("@")
    if digest:
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise UsageError(f"--image {image}: not a sha256 digest after '@'")
        return
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if not tag or tag == "latest":
        raise UsageError(
            f"--image {image}: not pinned (no tag, or 'latest')",
            hint=f"use a version tag or a digest, e.g. {default_image('<registry>')}",
        )


def check_git_url(option: str, url: str) -> None:
    """Refuse a URL carrying credentials: a Workflow parameter is stored in the Workflow object
    and shown by the Argo UI, `argo get` and every pod spec. The message does not repeat it."""
    if url.startswith("-"):
        raise UsageError(f"{option}: a git URL cannot start with '-'")
    if "://" not in url:
        return  # a path, or scp-like user@host:path (a user name is not a secret)
    parts = urllib.parse.urlsplit(url)
    secret = parts.password is not None or (
        parts.username is not None and parts.scheme in {"http", "https"}
    )
    if secret:
        raise UsageError(
            f"{option}: the URL carries credentials; they would be stored in the Workflow",
            hint="drop them from the URL and name a Secret with --git-token-secret "
            "(or --git-ssh-secret)",
        )


def plan_shards(envs: Sequence[str], shards: int) -> list[tuple[str, ...]]:
    """`envs` in at most `shards` groups of near-equal size, order kept (contiguous)."""
    count = max(1, min(shards, len(envs)))
    size = math.ceil(len(envs) / count)
    return [tuple(envs[i : i + size]) for i in range(0, len(envs), size)]


def shard_count(spec: FleetSpec) -> int:
    return spec.shards or min(len(spec.envs), spec.parallelism)


def _param_env(names: Sequence[str]) -> list[dict[str, Any]]:
    def var(name: str) -> str:
        return "P_" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).upper()

    return [{"name": var(n), "value": f"{{{{inputs.parameters.{n}}}}}"} for n in names]


def _credentials(spec: FleetSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(env, volumeMounts) of the shard container; the volumes are in `_volumes`."""
    env: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    if spec.git_token_secret:
        for var, key, optional in (
            ("GIT_TOKEN", "token", False),
            ("GIT_USERNAME", "username", True),
        ):
            ref: dict[str, Any] = {"name": spec.git_token_secret, "key": key}
            if optional:
                ref["optional"] = True
            env.append({"name": var, "valueFrom": {"secretKeyRef": ref}})
    if spec.git_ssh_secret:
        env.append(
            {
                "name": "GIT_SSH_COMMAND",
                "value": f"ssh -i {SSH_DIR}/ssh-privatekey -o IdentitiesOnly=yes "
                f"-o UserKnownHostsFile={SSH_DIR}/known_hosts -o StrictHostKeyChecking=yes",
            }
        )
        mounts.append({"name": "git-ssh", "mountPath": SSH_DIR, "readOnly": True})
    return env, mounts


def _volumes(spec: FleetSpec) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
    if spec.git_ssh_secret:
        volumes.append(
            {
                "name": "git-ssh",
                "secret": {
                    "secretName": spec.git_ssh_secret,
                    "defaultMode": 0o440,  # group-readable: the pod's fsGroup is the user's
                    "items": [
                        {"key": "ssh-privatekey", "path": "ssh-privatekey"},
                        {"key": "known_hosts", "path": "known_hosts"},
                    ],
                },
            }
        )
    return volumes


def _container(spec: FleetSpec, script: str, params: Sequence[str], extra_env: list[Any]) -> Any:
    return {
        "image": spec.image,
        "command": ["bash", "-c"],
        "args": [script],
        "env": [*_param_env(params), {"name": "BKGEN_OUT", "value": OUT_DIR}, *extra_env],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def _retry(spec: FleetSpec) -> dict[str, Any]:
    """Retry only what a retry can fix: the pod erred (node lost, evicted) or the script
    exited TRANSIENT (a repository unreachable, a push race lost six times)."""
    return {
        "limit": str(spec.retries),
        "retryPolicy": "Always",
        "expression": f"lastRetry.status == 'Error' || asInt(lastRetry.exitCode) == {TRANSIENT}",
        "backoff": {"duration": "15s", "factor": "2", "maxDuration": "5m"},
    }


def _templates(spec: FleetSpec, shards: list[tuple[str, ...]]) -> list[dict[str, Any]]:
    shard_params = ["envs", *PARAMS]
    env, mounts = _credentials(spec)
    shard = _container(spec, SHARD, shard_params, env)
    shard["volumeMounts"] = mounts
    shard["resources"] = {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    }
    report = _container(spec, REPORT, ["results"], [])
    report["volumeMounts"] = mounts[:1]  # /tmp: bash writes here-strings there
    report["resources"] = {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    names = [f"shard-{i}" for i in range(len(shards))]
    results = "".join(
        f"{name}|{{{{tasks.{name}.status}}}}|{{{{tasks.{name}.outputs.parameters.failed}}}}"
        f"|{' '.join(envs)}\n"
        for name, envs in zip(names, shards, strict=True)
    )
    workflow_args = [{"name": p, "value": f"{{{{workflow.parameters.{p}}}}}"} for p in PARAMS]
    tasks: list[dict[str, Any]] = [
        {
            "name": name,
            "template": "shard",
            "arguments": {
                "parameters": [{"name": "envs", "value": " ".join(envs)}, *workflow_args]
            },
        }
        for name, envs in zip(names, shards, strict=True)
    ]
    tasks.append(
        {
            "name": "report",
            "template": "report",
            "depends": " && ".join(f"({n}.Succeeded || {n}.Failed)" for n in names),
            "arguments": {"parameters": [{"name": "results", "value": results}]},
        }
    )
    return [
        {"name": "fleet", "dag": {"failFast": False, "tasks": tasks}},
        {
            "name": "shard",
            "inputs": {"parameters": [{"name": p} for p in shard_params]},
            "outputs": {
                "parameters": [
                    {"name": "failed", "valueFrom": {"path": f"{OUT_DIR}/failed", "default": ""}}
                ]
            },
            "retryStrategy": _retry(spec),
            "container": shard,
        },
        {
            "name": "report",
            "inputs": {"parameters": [{"name": "results"}]},
            "container": report,
        },
    ]


def build_fleet(spec: FleetSpec) -> dict[str, Any]:
    """The Workflow: shards fan out (bounded by `parallelism`), `report` fans in."""
    shards = plan_shards(spec.envs, shard_count(spec))
    values = {
        "repo": spec.repo,
        "revision": spec.revision,
        "deployRepo": spec.deploy_repo,
        "deployBranch": spec.deploy_branch,
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": "bkgen-fleet-",
            "namespace": spec.namespace,
            "labels": {"app.kubernetes.io/name": "bkgen-fleet", "bkgen.io/version": __version__},
        },
        "spec": {
            "entrypoint": "fleet",
            "serviceAccountName": spec.service_account,
            "parallelism": spec.parallelism,
            "activeDeadlineSeconds": 3600,
            "arguments": {"parameters": [{"name": k, "value": v} for k, v in values.items()]},
            "podGC": {"strategy": "OnWorkflowSuccess"},
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS,
                "runAsGroup": RUN_AS,
                "fsGroup": RUN_AS,
            },
            "volumes": _volumes(spec),
            "templates": _templates(spec, shards),
        },
    }


def rbac(spec: FleetSpec) -> list[dict[str, Any]]:
    """The pods only report their results to Argo: no Secret is read through the API (the
    kubelet injects the named ones), nothing else in the cluster is touched."""
    meta = {"name": spec.service_account, "namespace": spec.namespace}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": spec.service_account,
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": spec.service_account,
                    "namespace": spec.namespace,
                }
            ],
        },
    ]


SECRET_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def fleet_manifests(root: Path, spec: FleetSpec) -> list[dict[str, Any]]:
    """RBAC + the Workflow, after refusing what would fail in the cluster: an environment that
    does not load, one whose Applications read another repository or path than the deploy
    repository (`publish` would refuse it in every pod), credentials in a URL, an unpinned
    image, a Secret name Kubernetes cannot hold."""
    check_git_url("--repo", spec.repo)
    check_git_url("--deploy-repo", spec.deploy_repo)
    check_image(spec.image)
    for option, name in (
        ("--git-token-secret", spec.git_token_secret),
        ("--git-ssh-secret", spec.git_ssh_secret),
    ):
        if name is not None and not SECRET_NAME.fullmatch(name):
            raise UsageError(f"{option} {name!r}: not a Kubernetes Secret name")
    if len(set(spec.envs)) != len(spec.envs):
        raise UsageError("an environment is named twice")
    for env in spec.envs:
        environment = load_environment(root, env)
        check_target(environment.settings, env, spec.deploy_repo, "rendered")
    workflow = build_fleet(spec)
    refuse_spliced(workflow, "fleet")  # values reach the scripts as env vars, never as text
    return [*rbac(spec), workflow]
