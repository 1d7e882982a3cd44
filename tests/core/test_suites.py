"""Suites drive their switches: serviceMonitor/bkLogConfig follow the monitor-log suite, and
a switch on without the suite is an error naming both settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import OverlayError
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]


def staging(repo_root: Path, tmp_path: Path, suites: str, custom: str) -> Path:
    """A copy of the shipped project with a `staging` env (the issue's setup)."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(repo_root / "overlays" / "base", root / "overlays" / "base")
    shutil.copytree(repo_root / "schemas", root / "schemas")
    env = root / "overlays" / "staging"
    env.mkdir()
    (env / "env.yaml").write_text(
        f'kubeVersion: "1.23"\nsuites: {suites}\ngit:\n  repoURL: https://git.example.com/x.git\n',
        encoding="utf-8",
    )
    (env / "custom.yaml").write_text(custom, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("custom", "key", "line", "kind", "release"),
    [
        (
            "serviceMonitor:\n  enabled: true\n",
            "serviceMonitor.enabled",
            2,
            "monitoring.coreos.com/v1/ServiceMonitor",
            "bkmonitor-operator",
        ),
        (
            "replicas: 1\nbkLogConfig:\n  enabled: true\n",
            "bkLogConfig.enabled",
            3,
            "bk.tencent.com/v1alpha1/BkLogConfig",
            "bklog-collector",
        ),
    ],
)
def test_switch_on_without_its_suite_names_both_settings(
    repo_root: Path, tmp_path: Path, custom: str, key: str, line: int, kind: str, release: str
) -> None:
    root = staging(repo_root, tmp_path, "[base]", custom)
    with pytest.raises(OverlayError) as info:
        load_environment(root, "staging")
    assert str(info.value) == (
        f"overlays/staging/custom.yaml:{line}: overlay error: {key} is true, but nothing in this "
        f"environment installs {kind}: {release} is off (suite monitor-log not enabled); the "
        "charts would create objects the cluster cannot accept (hint: add monitor-log to suites "
        f"at overlays/staging/env.yaml:2, or drop {key} from the env (it follows the suite))"
    )
    result = CliRunner().invoke(cli, ["render", "staging", "--root", str(root)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (root / "rendered").exists()


def test_switches_follow_the_suite_when_unset(repo_root: Path, tmp_path: Path) -> None:
    root = staging(repo_root, tmp_path, "[base, monitor-log]", "replicas: 1\n")
    env = load_environment(root, "staging")
    assert env.values.values["serviceMonitor"]["enabled"] is True
    assert env.values.values["bkLogConfig"]["enabled"] is True
    origins = [str(o) for o in env.values.provenance[("serviceMonitor", "enabled")]]
    assert origins[0].startswith("overlays/base/values.yaml:")
    assert origins[-1].startswith("overlays/base/catalog.yaml:")  # explain shows why
    off = load_environment(staging(repo_root, tmp_path / "b", "[base]", "replicas: 1\n"), "staging")
    assert off.values.values["serviceMonitor"]["enabled"] is False


def test_explicit_false_with_the_suite_is_allowed(repo_root: Path, tmp_path: Path) -> None:
    custom = "serviceMonitor:\n  enabled: false\n"
    env = load_environment(staging(repo_root, tmp_path, "[base, monitor-log]", custom), "staging")
    assert env.values.values["serviceMonitor"]["enabled"] is False
    assert env.values.values["bkLogConfig"]["enabled"] is True


def test_shipped_prod_is_consistent(repo_root: Path) -> None:
    env = load_environment(repo_root, "prod")
    assert env.values.values["serviceMonitor"]["enabled"] is True
    assert (
        load_environment(repo_root, "default").values.values["serviceMonitor"]["enabled"] is False
    )
