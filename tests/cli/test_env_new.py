"""`bkgen env new`: a new environment renders and validates at once; names are never reused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--root", str(root)])
    return result.exit_code, result.output


def test_new_environment_renders_and_validates(project: Path) -> None:
    code, out = run(project, "env", "new", "staging")
    assert code == 0, out
    assert "wrote overlays/staging/env.yaml" in out
    env_yaml = (project / "overlays/staging/env.yaml").read_text()
    assert "repoURL: https://git.example.com/blueking/bkce7-gitops.git" in env_yaml
    assert "path: rendered/staging" in env_yaml and "project: bkce7-staging" in env_yaml
    assert (project / "overlays/staging/custom.yaml").is_file()
    assert (project / "overlays/staging/versions.yaml").is_file()
    assert run(project, "render", "staging", "-q")[0] == 0
    code, out = run(project, "validate", "staging", "--summary")
    assert code == 0 and ": 0 errors" in out
    app = (project / "rendered/staging/argocd/bootstrap/Application_staging-root.yaml").read_text()
    assert "path: rendered/staging/argocd/apps" in app


def test_from_copies_and_retargets(project: Path) -> None:
    code, out = run(project, "env", "new", "prod2", "--from", "prod")
    assert code == 0, out
    text = (project / "overlays/prod2/env.yaml").read_text()
    assert text.startswith("# Production:")  # comments kept
    assert "path: rendered/prod2" in text and "project: bkce7-prod2" in text
    assert (project / "overlays/prod2/bk-paas-custom-values.yaml.j2").is_file()
    assert run(project, "render", "prod2", "-q")[0] == 0
    assert run(project, "validate", "prod2", "--summary")[0] == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["env", "new", "default"], "overlays/default already exists"),
        (["env", "new", "Bad_Name"], "invalid environment name"),
        (["env", "new", "base"], "invalid environment name"),
        (["env", "new", "x", "--from", "nosuchenv"], "unknown environment 'nosuchenv'"),
    ],
)
def test_refusals_change_nothing(project: Path, args: list[str], needle: str) -> None:
    before = sorted(p.name for p in (project / "overlays").iterdir())
    code, out = run(project, *args)
    assert code == 2 and needle in out
    assert sorted(p.name for p in (project / "overlays").iterdir()) == before


def test_render_takes_dash_o(project: Path) -> None:
    import json

    assert run(project, "env", "new", "tiny")[0] == 0
    code, out = run(project, "render", "tiny", "-o", "json")
    assert code == 0 and json.loads(out)[0]["env"] == "tiny"
