"""`bkgen workflows fleet`: what the emitted manifests hold, and what the command refuses."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bkgen import __version__
from bkgen.cli import cli
from bkgen.validate import ValidateSettings, validate_paths
from bkgen.workflows.fleet import plan_shards

DEPLOY = "https://git.example.com/blueking/bkce7-gitops.git"  # what overlays/*/env.yaml read
OVERLAYS = "https://git.example.com/bk/overlays.git"


def emit(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["workflows", "fleet", *args, "--root", str(root)])
    return result.exit_code, result.stdout, result.stderr


def workflow_of(text: str) -> dict[str, Any]:
    return list(yaml.safe_load_all(text))[-1]


def templates(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in workflow["spec"]["templates"]}


# The BlueKing envs that publish to one deploy repository (skiff has a repository of its own)
FLEET = ("bcs-demo", "default", "prod")
BASE = ("--repo", OVERLAYS, "--deploy-repo", DEPLOY, "--registry", "registry.invalid/bk")


def test_shards_fan_out_and_report_fans_in(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet.yaml"
    code, stdout, err = emit(
        repo_root, *FLEET, *BASE, "--shards", "2", "--parallelism", "3", "--retries", "1",
        "--output-file", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert stdout == f"wrote {out}\n"
    docs = list(yaml.safe_load_all(out.read_text()))
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Role", "RoleBinding", "Workflow"]
    workflow = docs[-1]
    assert workflow["spec"]["parallelism"] == 3
    tasks = {t["name"]: t for t in templates(workflow)["fleet"]["dag"]["tasks"]}
    assert set(tasks) == {"shard-0", "shard-1", "report"}
    envs = [tasks[f"shard-{i}"]["arguments"]["parameters"][0] for i in range(2)]
    assert envs == [
        {"name": "envs", "value": "bcs-demo default"},
        {"name": "envs", "value": "prod"},
    ]
    assert tasks["report"]["depends"] == (
        "(shard-0.Succeeded || shard-0.Failed) && (shard-1.Succeeded || shard-1.Failed)"
    )
    retry = templates(workflow)["shard"]["retryStrategy"]
    assert retry["limit"] == "1"
    assert retry["expression"] == "lastRetry.status == 'Error' || asInt(lastRetry.exitCode) == 75"
    # the project's own Workflow schema and the policy rules
    report = validate_paths([out], ValidateSettings(project_root=repo_root, jobs=1))
    assert report.findings == []


def test_default_shards_follow_parallelism_and_plans_are_even() -> None:
    assert plan_shards(["a", "b", "c"], 2) == [("a", "b"), ("c",)]
    assert plan_shards(["a"], 5) == [("a",)]
    sizes = [len(s) for s in plan_shards([f"e{i}" for i in range(500)], 20)]
    assert sizes == [25] * 20
    sizes = [len(s) for s in plan_shards([f"e{i}" for i in range(1000)], 48)]
    assert len(sizes) == 48 and max(sizes) - min(sizes) <= 21 and sum(sizes) == 1000


def test_pods_install_nothing_and_run_the_pinned_image(repo_root: Path) -> None:
    code, stdout, err = emit(repo_root, "default", "prod", *BASE)
    assert code == 0, err
    workflow = workflow_of(stdout)
    scripts = " ".join(
        t["container"]["args"][0] for t in templates(workflow).values() if "container" in t
    )
    assert not re.search(r"\bpip3?\b|venv|apt-get|apk |curl|wget|install", scripts)
    images = {t["container"]["image"] for t in templates(workflow).values() if "container" in t}
    assert images == {f"registry.invalid/bk/bkgen:{__version__}"}
    assert "latest" not in stdout
    # default: one shard per parallel pod, at most one per environment
    assert len(templates(workflow)["fleet"]["dag"]["tasks"]) == 2 + 1
    code, stdout, err = emit(
        repo_root, "default", *BASE, "--image", "r.invalid/bkgen@sha256:" + "a" * 64
    )
    assert code == 0 and "r.invalid/bkgen@sha256:" in stdout, err


@pytest.mark.parametrize(
    "image", ["r.invalid/bkgen:latest", "r.invalid/bkgen", "r.invalid:5000/bkgen", "bkgen@sha256:x"]
)
def test_an_unpinned_image_is_refused(repo_root: Path, image: str) -> None:
    code, _, err = emit(repo_root, "default", *BASE, "--image", image)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--image" in err, err


def test_an_image_or_a_registry_is_required(repo_root: Path) -> None:
    code, _, err = emit(repo_root, "default", "--repo", OVERLAYS, "--deploy-repo", DEPLOY)
    assert code == 2 and "--registry" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("option", "url"),
    [
        ("--repo", "https://bob:hunter2-token@git.example.com/bk/overlays.git"),
        ("--repo", "https://hunter2-token@git.example.com/bk/overlays.git"),
        ("--repo", "ssh://git:hunter2-token@git.example.com/bk/overlays.git"),
        (
            "--deploy-repo",
            "https://x-access-token:hunter2-token@git.example.com/blueking/bkce7-gitops.git",
        ),
    ],
)
def test_a_url_with_credentials_is_refused_without_repeating_them(
    repo_root: Path, option: str, url: str
) -> None:
    args = {"--repo": OVERLAYS, "--deploy-repo": DEPLOY, option: url}
    code, stdout, err = emit(
        repo_root, "default", "--repo", args["--repo"], "--deploy-repo", args["--deploy-repo"],
        "--registry", "registry.invalid/bk",
    )  # fmt: skip
    assert code == 2, (stdout, err)
    assert err.startswith(f"bkgen: usage error: {option}: the URL carries credentials")
    assert len(err.strip().splitlines()) == 1
    assert "hunter2" not in stdout + err


def test_ssh_and_scp_urls_with_a_user_name_are_accepted(repo_root: Path) -> None:
    for url in ("git@git.example.com:bk/overlays.git", "ssh://git@git.example.com/bk/o.git"):
        code, _, err = emit(repo_root, "default", *BASE, "--repo", url)
        assert code == 0, err


def test_a_deploy_repository_the_applications_do_not_read_is_refused(repo_root: Path) -> None:
    code, _, err = emit(
        repo_root, "default", "--repo", OVERLAYS, "--deploy-repo", "https://git.example.com/other.git",
        "--registry", "registry.invalid/bk",
    )  # fmt: skip
    assert code == 2 and "Applications read" in err and len(err.strip().splitlines()) == 1


def test_git_credentials_come_from_named_secrets_only(repo_root: Path) -> None:
    code, stdout, err = emit(
        repo_root,
        "default",
        *BASE,
        "--git-token-secret",
        "git-https",
        "--git-ssh-secret",
        "git-ssh",
    )
    assert code == 0, err
    workflow = workflow_of(stdout)
    shard = templates(workflow)["shard"]["container"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in shard["env"] if "valueFrom" in e}
    assert refs == {
        "GIT_TOKEN": {"name": "git-https", "key": "token"},
        "GIT_USERNAME": {"name": "git-https", "key": "username", "optional": True},
    }
    [ssh_volume] = [v for v in workflow["spec"]["volumes"] if "secret" in v]
    assert ssh_volume["secret"]["secretName"] == "git-ssh"
    assert {i["key"] for i in ssh_volume["secret"]["items"]} == {"ssh-privatekey", "known_hosts"}
    ssh = next(e["value"] for e in shard["env"] if e["name"] == "GIT_SSH_COMMAND")
    assert "StrictHostKeyChecking=yes" in ssh and "UserKnownHostsFile=" in ssh
    assert {"name": "git-ssh", "mountPath": "/etc/bkgen/git-ssh", "readOnly": True} in shard[
        "volumeMounts"
    ]
    # the pods run as the image's non-root user, read-only root, no privilege
    assert workflow["spec"]["securityContext"]["runAsNonRoot"] is True
    for template in templates(workflow).values():
        if "container" in template:  # read-only root: /tmp is the one writable place
            container = template["container"]
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {}} in workflow["spec"]["volumes"]
    # RBAC: report task results, nothing else (no Secret read through the API)
    role = list(yaml.safe_load_all(stdout))[1]
    assert role["rules"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        }
    ]
    code, _, err = emit(repo_root, "default", *BASE, "--git-token-secret", "Bad_Name")
    assert code == 2 and "not a Kubernetes Secret name" in err


def test_an_environment_named_twice_is_refused(repo_root: Path) -> None:
    code, _, err = emit(repo_root, "default", "default", *BASE)
    assert code == 2 and "named twice" in err


def _strict(node: Any) -> Any:
    """Every object schema with properties closed (kubeconform's --strict): a misspelt field
    is an error, not ignored."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@pytest.mark.skipif(
    not os.environ.get("BKGEN_ARGO_SCHEMA"),
    reason="set BKGEN_ARGO_SCHEMA to upstream argo-workflows api/jsonschema/schema.json "
    "(not vendored: upstream text stays upstream)",
)
def test_the_workflow_validates_against_the_upstream_argo_schema(repo_root: Path) -> None:
    import jsonschema

    schema = _strict(json.loads(Path(os.environ["BKGEN_ARGO_SCHEMA"]).read_text()))
    schema.pop("oneOf")
    schema["$ref"] = "#/definitions/io.argoproj.workflow.v1alpha1.Workflow"
    code, stdout, err = emit(
        repo_root,
        *FLEET,
        *BASE,
        "--git-token-secret",
        "t",
        "--git-ssh-secret",
        "s",
        "--shards",
        "2",
    )
    assert code == 0, err
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(workflow_of(stdout)))
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors] == []
    # and the check can fail: a misspelt field is caught
    broken = workflow_of(stdout)
    broken["spec"]["templates"][1]["retryStrategy"]["retrypolicy"] = "Always"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(broken))


def _unknown_fields(doc: Any, parsed: Any, path: str = "") -> list[str]:
    """Key paths of `doc` the parsed model dropped: fields Argo's API does not define."""
    if isinstance(doc, dict) and isinstance(parsed, dict):
        return [
            miss
            for key, value in doc.items()
            for miss in (
                _unknown_fields(value, parsed[key], f"{path}/{key}")
                if key in parsed
                else [f"{path}/{key}"]
            )
        ]
    if isinstance(doc, list) and isinstance(parsed, list):
        return [
            m
            for i, (a, b) in enumerate(zip(doc, parsed, strict=True))
            for m in _unknown_fields(a, b, f"{path}/{i}")
        ]
    return []


def test_the_workflow_parses_as_argo_api_types(repo_root: Path) -> None:
    """Hera's models are generated from Argo Workflows' own OpenAPI schema: the emitted
    Workflow must parse into them (types) and lose no field in the round trip (no field the
    API does not define). Runs everywhere, unlike the raw upstream schema above."""
    from hera.workflows.models import Workflow

    code, stdout, err = emit(
        repo_root, *FLEET, *BASE, "--git-token-secret", "t", "--git-ssh-secret", "s",
        "--shards", "2",
    )  # fmt: skip
    assert code == 0, err
    doc = workflow_of(stdout)
    parsed = Workflow.model_validate(doc).model_dump(by_alias=True, exclude_none=True, mode="json")
    assert _unknown_fields(doc, parsed) == []
    broken = workflow_of(stdout)
    broken["spec"]["templates"][1]["retryStrategy"]["retrypolicy"] = "Always"
    parsed = Workflow.model_validate(broken).model_dump(by_alias=True, exclude_none=True)
    assert _unknown_fields(broken, parsed) == ["/spec/templates/1/retryStrategy/retrypolicy"]
