"""Render and validate a fleet of BlueKing environments on Argo Workflows.

Not a runbook step: `bkgen workflows fleet ENV...` emits this Workflow for users
who outgrow one machine. Fan-out: one pod per environment clones the overlay
repository at a pinned revision, renders and validates it (a broken environment
fails its own task, with retries for transient errors). Fan-in: once every
environment passed, one pod publishes them all to the deploy repository
(`bkgen publish` renders again, deterministically, rather than shipping files
between pods).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hera.workflows import DAG, Container, Parameter, RetryStrategy, Workflow, models

from ._lib import param_env

SCRIPT = r"""set -euo pipefail
git clone -q "${P_REPO}" /work && cd /work
git checkout -q "${P_REVISION}"
python -m venv /tmp/venv && /tmp/venv/bin/pip install -q -e .
"""


@dataclass(frozen=True)
class FleetSpec:
    envs: tuple[str, ...]
    repo: str
    revision: str
    deploy_repo: str
    deploy_branch: str = "main"
    image: str = "docker.io/library/python:3.11"  # has git
    parallelism: int = 4
    retries: int = 2
    namespace: str = "argo"
    service_account: str = "bkgen-fleet"


def _task(name: str, image: str, command: str, params: Sequence[str], retries: int) -> Container:
    return Container(
        name=name,
        image=image,
        command=["bash", "-c"],
        args=[SCRIPT + command],
        inputs=[Parameter(name=p) for p in params],
        env=param_env(params),  # values as data, never spliced into the script (argo._lib)
        retry_strategy=RetryStrategy(
            limit=str(retries),
            retry_policy="OnError",
            backoff=models.Backoff(duration="15s", factor="2", max_duration="5m"),
        ),
        resources=models.ResourceRequirements(
            requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "2", "memory": "2Gi"}
        ),
    )


def build_fleet(spec: FleetSpec) -> Workflow:
    shared = {
        "repo": "{{workflow.parameters.repo}}",
        "revision": "{{workflow.parameters.revision}}",
    }
    with Workflow(
        generate_name="bkgen-fleet-",
        namespace=spec.namespace,
        entrypoint="fleet",
        service_account_name=spec.service_account,
        parallelism=spec.parallelism,
        arguments=[
            Parameter(name="repo", value=spec.repo),
            Parameter(name="revision", value=spec.revision),
            Parameter(name="deployRepo", value=spec.deploy_repo),
            Parameter(name="deployBranch", value=spec.deploy_branch),
        ],
        pod_gc=models.PodGC(strategy="OnWorkflowSuccess"),
        active_deadline_seconds=3600,
    ) as workflow:
        render = _task(
            "render-validate",
            spec.image,
            '/tmp/venv/bin/bkgen render "${P_ENV}" -q\n'
            '/tmp/venv/bin/bkgen validate "${P_ENV}" --summary\n',
            ["repo", "revision", "env"],
            spec.retries,
        )
        publish = _task(
            "publish",
            spec.image,
            'read -ra envs <<< "$P_ENVS"\n'
            '/tmp/venv/bin/bkgen publish "${envs[@]}" '
            '--repo "${P_DEPLOY_REPO}" --branch "${P_DEPLOY_BRANCH}" --push\n',
            ["repo", "revision", "envs", "deployRepo", "deployBranch"],
            spec.retries,
        )
        with DAG(name="fleet", fail_fast=False):
            fan_out = [
                render(name=f"render-{env}", arguments={**shared, "env": env}) for env in spec.envs
            ]
            fan_in = publish(
                name="publish",
                arguments={
                    **shared,
                    "envs": " ".join(spec.envs),
                    "deployRepo": "{{workflow.parameters.deployRepo}}",
                    "deployBranch": "{{workflow.parameters.deployBranch}}",
                },
            )
            for task in fan_out:
                task >> fan_in
    return workflow


def rbac(spec: FleetSpec) -> list[dict[str, object]]:
    """The fleet pods only report their results to Argo; git credentials come with the URLs."""
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
