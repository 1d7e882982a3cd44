"""The BK-Log stages (seed 001) as shipped: bklog-prod extends bklog-stag extends bklog-dev.
Their rendered trees are golden files (test_golden.py); here, what each stage must hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.yamlio import load_file

STAGES = ("bklog-dev", "bklog-stag", "bklog-prod")


def _doc(repo_root: Path, env: str, release: str, name: str) -> Any:
    return load_file(repo_root / "rendered" / env / "releases" / release / name)


@pytest.mark.parametrize(
    ("env", "web", "es", "storage", "storage_class", "host", "anti"),
    [
        ("bklog-dev", 1, 1, "10Gi", None, "bklog.dev.bk.example.com", None),
        ("bklog-stag", 2, 3, "50Gi", None, "bklog.stag.bk.example.com", "preferred"),
        ("bklog-prod", 3, 3, "500Gi", "bk-ssd", "bklog.bk.example.com", "required"),
    ],
)
def test_each_stage_renders_what_the_guide_asks(
    repo_root: Path,
    env: str,
    web: int,
    es: int,
    storage: str,
    storage_class: str | None,
    host: str,
    anti: str | None,
) -> None:
    deployment = _doc(repo_root, env, "bklog-search", "Deployment_bklog-search-web.yaml")
    assert deployment["spec"]["replicas"] == web
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {"readinessProbe", "livenessProbe", "resources"} <= set(container)
    anti_affinity = (pod.get("affinity") or {}).get("podAntiAffinity") or {}
    kinds = [k.split("During")[0] for k in anti_affinity]
    assert kinds == ([anti] if anti else [])
    assert ("nodeAffinity" in (pod.get("affinity") or {})) == (env == "bklog-prod")
    statefulset = _doc(repo_root, env, "bklog-storage", "StatefulSet_bklog-es.yaml")
    assert statefulset["spec"]["replicas"] == es
    assert statefulset["spec"]["serviceName"] == "bklog-es-headless"
    claim = statefulset["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == storage
    assert claim.get("storageClassName") == storage_class
    headless = _doc(repo_root, env, "bklog-storage", "Service_bklog-es-headless.yaml")
    assert headless["spec"]["clusterIP"] == "None"
    ingress = _doc(repo_root, env, "bklog-search", "Ingress_bklog-search.yaml")
    assert [r["host"] for r in ingress["spec"]["rules"]] == [host]
    pdb = repo_root / "rendered" / env / "releases" / "bklog-search"
    assert (pdb / "PodDisruptionBudget_bklog-search-web.yaml").is_file() == (web > 1)


@pytest.mark.parametrize("env", STAGES)
def test_credentials_are_external_secrets_only(repo_root: Path, env: str) -> None:
    release = repo_root / "rendered" / env / "releases" / "bklog-search"
    assert not list(release.glob("Secret_*"))
    external = _doc(repo_root, env, "bklog-search", "ExternalSecret_bklog-search-credentials.yaml")
    stage = env.removeprefix("bklog-")
    assert {d["remoteRef"]["key"] for d in external["spec"]["data"]} == {f"bklog/{stage}"}


@pytest.mark.parametrize("env", STAGES)
def test_each_stage_validates_clean_with_what_it_inherits(repo_root: Path, env: str) -> None:
    """bklog-stag declares no defaultStorageClass: it inherits bklog-dev's, and its
    classless claim is then no finding."""
    result = CliRunner().invoke(cli, ["validate", env, "--root", str(repo_root)])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_explain_names_each_stage_that_set_a_value(repo_root: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["explain", "bklog-prod", "global", "bklogSearch.web.replicas", "--root", str(repo_root)],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "  set by overlays/base/values.yaml:123",
        "  set by overlays/bklog-stag/custom.yaml:9",
        "  set by overlays/bklog-prod/custom.yaml:16",
    ]


def test_stages_are_diffable_release_by_release(repo_root: Path) -> None:
    result = CliRunner().invoke(
        cli, ["diff", "--envs", "bklog-dev", "bklog-prod", "--root", str(repo_root)]
    )
    assert result.exit_code == 1, result.output
    assert "bklog-dev -> bklog-prod" in result.output
    assert "spec.replicas: 1 -> 3" in result.output
    assert 'spec.volumeClaimTemplates[0].spec.resources.requests.storage: "10Gi" -> "500Gi"' in (
        result.output
    )


@pytest.fixture
def copy(repo_root: Path, tmp_path: Path) -> Path:
    import shutil

    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(
            repo_root / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


@pytest.mark.parametrize(
    ("replacement", "needle"),
    [
        ("", "bklogSearch.credentials.appSecret: declare it as {secretRef: ...} in custom.yaml"),
        (
            "    appSecret: literal-app-secret-0123\n",
            "overlays/bklog-dev/custom.yaml:11:5: overlay error: bklogSearch.credentials.appSecret: "
            "this value is not allowed here (not shown: a credential's key)",
        ),
    ],
)
def test_a_stage_without_a_declared_credential_does_not_render(
    copy: Path, replacement: str, needle: str
) -> None:
    custom = copy / "overlays" / "bklog-dev" / "custom.yaml"
    text = custom.read_text()
    line = '    appSecret: {secretRef: "bklog/dev#app-secret"}\n'
    assert line in text
    custom.write_text(text.replace(line, replacement))
    result = CliRunner().invoke(cli, ["render", "bklog-dev", "--root", str(copy)])
    assert result.exit_code != 0
    assert needle in result.output and "Traceback" not in result.output
    assert "literal-app-secret-0123" not in result.output
    assert not (copy / "rendered" / "bklog-dev").exists()
