"""set / bump: in-place edits that keep comments, order and quotes, or change nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import UsageError
from bkgen.overlay.editing import bump, set_values
from bkgen.overlay.load import load_environment


@pytest.fixture
def project(tmp_path: Path, repo_root: Path) -> Path:
    for part in ("overlays", "schemas"):
        shutil.copytree(repo_root / part, tmp_path / part)
    return tmp_path


def test_bump_is_the_runbooks_sed_and_nothing_else(project: Path) -> None:
    path = project / "overlays/base/versions.yaml"
    before = path.read_text()
    previous = bump(project, "bk-nodeman", "2.4.4").previous
    after = path.read_text()
    assert previous == "2.2.27"
    assert after == before.replace('bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"')
    assert load_environment(project, "default").versions["bk-nodeman"] == "2.4.4"


def test_bump_per_env_creates_the_file(project: Path) -> None:
    result = bump(project, "bk-gse", "2.1.3", env="prod")
    path = result.path
    assert result.previous == "" and path == project / "overlays/prod/versions.yaml"
    assert result.overrides and result.overrides_at.startswith("overlays/base/versions.yaml:")
    assert path.read_text() == 'version:\n  bk-gse: "2.1.3"\n'
    assert load_environment(project, "prod").versions["bk-gse"] == "2.1.3"
    assert load_environment(project, "default").versions["bk-gse"] == "2.1.2-beta.20"


@pytest.mark.parametrize(
    ("release", "version", "message"),
    [
        ("bk-nodeman", "latest", "invalid version"),
        ("nope", "1.0.0", "unknown release"),
        ("localpv", "1.0.0", "not a chart release"),
    ],
)
def test_bump_refuses(project: Path, release: str, version: str, message: str) -> None:
    before = (project / "overlays/base/versions.yaml").read_bytes()
    with pytest.raises(UsageError, match=message):
        bump(project, release, version)
    assert (project / "overlays/base/versions.yaml").read_bytes() == before


def test_set_keeps_comments_and_refuses_unknown_keys(project: Path) -> None:
    path = project / "overlays/prod/custom.yaml"
    set_values(project, "prod", ["replicas=3", "localpv.count=30"])
    text = path.read_text()
    assert "replicas: 3\n" in text and "count: 30" in text
    assert "# External MySQL (runbook: bitnamiMysql.enabled=false + mysql.host)" in text
    assert load_environment(project, "prod").values.values["localpv"]["count"] == 30
    before = path.read_bytes()
    with pytest.raises(UsageError, match=r"unknown key 'domian\.bkDomain'"):
        set_values(project, "prod", ["domian.bkDomain=x"])
    assert path.read_bytes() == before


def test_set_restores_the_file_when_the_result_is_invalid(project: Path) -> None:
    path = project / "overlays/prod/custom.yaml"
    before = path.read_bytes()
    with pytest.raises(
        UsageError, match=r"refused domain\.bkDomainScheme=ftp: .*'ftp' is not one of"
    ):
        set_values(project, "prod", ["domain.bkDomainScheme=ftp"])
    assert path.read_bytes() == before


def test_cli_exit_codes(project: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["bump", "bk-nodeman", "2.4.4", "--root", str(project)])
    assert ok.exit_code == 0 and "bk-nodeman 2.2.27 -> 2.4.4" in ok.output
    bad = runner.invoke(cli, ["set", "prod", "noequals", "--root", str(project)])
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.output
