"""env.yaml: Kubernetes version errors name env.yaml:line and suggest only versions that exist;
a version outside what the BlueKing release supports is a warning; names get a did-you-mean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import OverlayError, UsageError
from bkgen.kube.versions import BUNDLED
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]

CATALOG_RANGE = 'platform: BlueKing 7.1\nkubeVersions: {min: "1.20", max: "1.23"}\n'


def env_yaml(kube: str, extra: str = "") -> str:
    return f"description: staging\nkubeVersion: {kube}\ngit: {{repoURL: x}}\n{extra}"


def project_with_range(make_project: Project, env: str) -> Path:
    from tests.conftest import MINIMAL_CATALOG

    return make_project(
        {
            "overlays/base/catalog.yaml": CATALOG_RANGE + MINIMAL_CATALOG,
            "overlays/dev/env.yaml": env,
        }
    )


@pytest.mark.parametrize(
    ("kube", "message"),
    [
        (
            '"1.30"',
            r"^overlays/dev/env.yaml:2:1: overlay error: kubeVersion \'1.30\': bkgen has no Kubernetes "
            r"schemas for 1.30 \(bundled: 1.20–1.28\), so it cannot validate the rendered tree "
            r'\(hint: did you mean "1.23"\? \(BlueKing 7.1 supports 1.20–1.23\)\)$',
        ),
        ('"1.19"', r'env.yaml:2:1: .*no Kubernetes schemas for 1.19.*did you mean "1.20"'),
        (
            "1.23",
            r"^overlays/dev/env.yaml:2:1: overlay error: kubeVersion: 1.23 is not of type 'string' "
            r'\(hint: YAML reads 1.23 as a number; quote it: kubeVersion: "1.23"\)$',
        ),
        (
            '"2.0"',
            r'env.yaml:2:1: .*kubeVersion: \'2.0\' is not allowed here.*hint: a quoted Kubernetes minor version, e.g. kubeVersion: "1.23"',
        ),
    ],
)
def test_kube_version_errors(make_project: Project, kube: str, message: str) -> None:
    root = project_with_range(make_project, env_yaml(kube))
    with pytest.raises(OverlayError, match=message):
        load_environment(root, "dev")


def test_renamed_required_key_is_named(make_project: Project) -> None:
    root = project_with_range(make_project, 'kubernetesVersion: "1.23"\ngit: {repoURL: x}\n')
    with pytest.raises(
        OverlayError,
        match=r"^overlays/dev/env.yaml:1:1: overlay error: unknown key 'kubernetesVersion' "
        r"\(hint: did you mean 'kubeVersion'\? \(required, and missing\)\)$",
    ):
        load_environment(root, "dev")


@pytest.mark.parametrize("kube", ["1.24", "1.28"])
def test_bundled_but_unsupported_version_warns_with_line(make_project: Project, kube: str) -> None:
    assert kube in BUNDLED
    root = project_with_range(make_project, env_yaml(f'"{kube}"'))
    env = load_environment(root, "dev")
    [notice] = env.settings.notices
    assert str(notice).startswith(
        f"overlays/dev/env.yaml:2:1: warning: kubeVersion '{kube}' is outside what BlueKing 7.1 "
        "supports (1.20–1.23, overlays/base/catalog.yaml)"
    )
    assert "use one of 1.20, 1.21, 1.22, 1.23" in str(notice)
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root), "-q"])
    assert result.exit_code == 0, result.output
    assert f"bkgen: overlays/dev/env.yaml:2:1: warning: kubeVersion '{kube}'" in result.output


@pytest.mark.parametrize("kube", ["1.20", "1.23"])
def test_supported_version_is_silent(make_project: Project, kube: str) -> None:
    root = project_with_range(make_project, env_yaml(f'"{kube}"'))
    assert load_environment(root, "dev").settings.notices == ()


def test_shipped_catalog_declares_the_range(repo_root: Path) -> None:
    env = load_environment(repo_root, "default")
    assert env.catalog.kube_versions == ("1.20", "1.23")
    assert env.settings.notices == ()


def test_unknown_rule_in_suppress_gets_did_you_mean(make_project: Project) -> None:
    extra = "validation:\n  suppress:\n    - rule: privilegd\n      reason: node agent\n"
    root = project_with_range(make_project, env_yaml('"1.23"', extra))
    with pytest.raises(
        OverlayError,
        match=r"^overlays/dev/env.yaml:6:7: overlay error: validation.suppress names unknown rule "
        r"'privilegd' \(hint: did you mean 'privileged'\?\)$",
    ):
        load_environment(root, "dev")
    ok = "validation:\n  suppress:\n    - rule: schema\n      reason: x\n    - rule: privileged\n      reason: y\n"
    load_environment(project_with_range(make_project, env_yaml('"1.23"', ok)), "dev")


def test_unknown_suite_and_repository_get_did_you_mean(make_project: Project) -> None:
    root = project_with_range(make_project, env_yaml('"1.23"', "suites: [bsae]\n"))
    with pytest.raises(OverlayError, match=r"unknown suite 'bsae' \(hint: did you mean 'base'\?\)"):
        load_environment(root, "dev")


def test_environment_names_get_did_you_mean(make_project: Project) -> None:
    root = make_project()
    with pytest.raises(
        UsageError, match=r"unknown environment 'dve' \(hint: did you mean 'dev'\?\)"
    ):
        load_environment(root, "dve")
    (root / "overlays" / "staging").mkdir()
    with pytest.raises(
        UsageError,
        match=r"overlays/staging/env.yaml: usage error: environment 'staging' has no env.yaml",
    ):
        load_environment(root, "staging")
    for command in (
        ["catalog", "dve"],
        ["validate", "dve"],
        ["explain", "dve", "global", "replicas"],
    ):
        result = CliRunner().invoke(cli, [*command, "--root", str(root)])
        assert result.exit_code == 2, (command, result.output)
        assert "did you mean 'dev'?" in result.output, (command, result.output)


def test_validate_names_the_option_that_exists(tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(manifest), "--kube-version", "1.30"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "bkgen: usage error: no bundled schemas for Kubernetes 1.30 (bundled: 1.20–1.28) "
        "(hint: --kube-version 1.28, or `bkgen validate --schema-location DIR` with schemas "
        "for that version)"
    )
