"""Runbook steps compiled with Hera: valid, least-privilege, deterministic, golden."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from bkgen.overlay.load import load_environment, release_namespace
from bkgen.validate import ValidateSettings, validate_paths
from bkgen.workflows import StepSpec, list_steps, render_step
from bkgen.yamlio import dump

GOLDEN = Path(__file__).parent / "golden"
FACTS = {"domains": ["bk.example.com", "bkrepo.bk.example.com"]}


def _steps(repo_root: Path, env_name: str = "prod") -> list[tuple[StepSpec, dict[str, Any]]]:
    env = load_environment(repo_root, env_name)
    out = []
    for release in env.plan.releases:
        if release.workflow:
            spec = StepSpec(
                release.name,
                release.workflow,
                dict(release.params),
                release_namespace(env, release),
                env.plan.needs[release.name],
                release.suite,
            )
            out.append((spec, env.values.values))
    return out


def test_every_module_is_wired_or_listed(repo_root: Path) -> None:
    env = load_environment(repo_root, "prod")
    wired = {r.workflow for r in env.catalog.releases.values() if r.workflow}
    assert set(list_steps(repo_root)) - wired == {"coredns_hosts_list"}


def test_every_step_validates(repo_root: Path, tmp_path: Path) -> None:
    for spec, values in _steps(repo_root):
        docs = render_step(repo_root, spec, values, "prod", FACTS)
        (tmp_path / f"{spec.name}.yaml").write_text("".join(f"---\n{dump(d)}" for d in docs))
    report = validate_paths([tmp_path], ValidateSettings(project_root=repo_root, jobs=1))
    assert report.findings == []
    assert report.resources >= 5 * len(_steps(repo_root))


def test_least_privilege(repo_root: Path) -> None:
    for spec, values in _steps(repo_root):
        docs = render_step(repo_root, spec, values, "prod", FACTS)
        kinds = [d["kind"] for d in docs]
        assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds, spec.name
        for role in (d for d in docs if d["kind"] == "Role"):
            for rule in role["rules"]:
                assert "*" not in rule["verbs"] and "*" not in rule["resources"], spec.name
                assert not {"delete", "deletecollection", "escalate", "bind"} & set(rule["verbs"])
        template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
        assert template["spec"]["serviceAccountName"] == f"bkgen-step-{spec.name}"
    coredns = next(s for s in _steps(repo_root) if s[0].name == "coredns-hosts")
    roles = {
        d["metadata"]["namespace"]: d["rules"]
        for d in render_step(repo_root, coredns[0], coredns[1], "prod", FACTS)
        if d["kind"] == "Role"
    }
    assert roles["kube-system"][1] == {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "verbs": ["get", "update"],
        "resourceNames": ["coredns"],
    }
    assert roles["ingress-nginx"] == [
        {"apiGroups": [""], "resources": ["services"], "verbs": ["list"]}
    ]


def test_secrets_are_generated_in_cluster_never_in_git(repo_root: Path) -> None:
    spec, values = next(s for s in _steps(repo_root) if s[0].name == "app-secrets")
    docs = render_step(repo_root, spec, values, "prod", FACTS)
    assert not any(d["kind"] == "Secret" for d in docs)
    script = next(d for d in docs if d["kind"] == "WorkflowTemplate")["spec"]["templates"][0][
        "container"
    ]["args"][0]
    assert "openssl rand -hex 16" in script and "kubectl get secret" in script


def test_app_secrets_declares_only_the_secrets_it_creates(repo_root: Path) -> None:
    spec, values = next(s for s in _steps(repo_root) if s[0].name == "app-secrets")

    def creates(apps: list[str]) -> list[str]:
        step = dataclasses.replace(spec, params={**spec.params, "apps": apps})
        docs = render_step(repo_root, step, values, "prod", FACTS)
        template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
        return str(template["metadata"]["annotations"]["bkgen.io/creates"]).split(",")

    assert "Secret/bk-app-secret-bk-log" in creates(["bk_log"])
    # No app codes: no app Secret, not one named "bk-app-secret-".
    assert not any(c.startswith("Secret/bk-app-secret") for c in creates([]))


def test_workflow_name_changes_exactly_with_inputs(repo_root: Path) -> None:
    spec, values = next(s for s in _steps(repo_root) if s[0].name == "bkrepo-buckets")

    def name(step: StepSpec, vals: dict[str, Any]) -> str:
        docs = render_step(repo_root, step, vals, "prod", FACTS)
        return str(next(d for d in docs if d["kind"] == "Workflow")["metadata"]["name"])

    first = name(spec, values)
    assert first == name(spec, values)
    assert first.startswith("bkrepo-buckets-") and len(first) == len("bkrepo-buckets-") + 8
    changed = StepSpec(
        spec.name, spec.module, {"buckets": ["other"]}, spec.namespace, spec.needs, spec.suite
    )
    assert name(changed, values) != first


def test_saas_deploy_dag_order(repo_root: Path) -> None:
    spec, values = next(s for s in _steps(repo_root) if s[0].name == "saas-deploy")
    template = next(
        d
        for d in render_step(repo_root, spec, values, "prod", FACTS)
        if d["kind"] == "WorkflowTemplate"
    )
    tasks = {
        t["name"]: t.get("depends", "")
        for t in next(t for t in template["spec"]["templates"] if t["name"] == "main")["dag"][
            "tasks"
        ]
    }
    assert tasks["deploy-bk-itsm-default"] == "import-bk-itsm"
    assert tasks["deploy-bk-sops-default"] == "import-bk-sops"
    for module in ("api", "pipeline", "callback"):
        assert tasks[f"deploy-bk-sops-{module}"] == "deploy-bk-sops-default"


def test_http_steps_check_responses(repo_root: Path) -> None:
    for spec, values in _steps(repo_root):
        docs = render_step(repo_root, spec, values, "prod", FACTS)
        template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
        scripts = [
            t["container"]["args"][0] for t in template["spec"]["templates"] if "container" in t
        ]
        for script in scripts:
            if "curl" in script.split("bk_call()")[-1] or "bk_call " in script:
                assert "set -euo pipefail" in script
                assert "bk_call" in script or "-fsS" in script or "--fail" in script, spec.name


@pytest.mark.parametrize("step", ["es-auto-create-index", "saas-deploy"])
def test_golden(repo_root: Path, step: str, request: pytest.FixtureRequest) -> None:
    spec, values = next(s for s in _steps(repo_root) if s[0].name == step)
    text = "".join(f"---\n{dump(d)}" for d in render_step(repo_root, spec, values, "prod", FACTS))
    golden = GOLDEN / f"{step}.yaml"
    if request.config.getoption("--update-golden"):
        golden.write_text(text)
    assert golden.read_text() == text, "regenerate with pytest --update-golden and review the diff"


def test_app_secrets_refuses_a_rabbitmq_name_a_shell_could_read(repo_root: Path) -> None:
    from bkgen.errors import RenderError

    spec, values = next(s for s in _steps(repo_root) if s[0].name == "app-secrets")
    broker = {"admin": "user", "users": {"bk-job": {"user": "job;id", "vhost": "job"}}}
    step = dataclasses.replace(spec, params={**spec.params, "rabbitmq": broker})
    facts = {**FACTS, "releases": ["bk-rabbitmq", "bk-job"]}
    with pytest.raises(RenderError, match=r"RabbitMQ user or vhost 'job;id' is not a name"):
        render_step(repo_root, step, values, "prod", facts)
    # two users that would share one Secret (and so one password)
    twins = {"bk-job": {"user": "bk_job", "vhost": "a"}, "x": {"user": "bk-job", "vhost": "b"}}
    step = dataclasses.replace(spec, params={**spec.params, "rabbitmq": {"users": twins}})
    with pytest.raises(RenderError, match="two RabbitMQ users share a Secret name"):
        render_step(repo_root, step, values, "prod", facts)
