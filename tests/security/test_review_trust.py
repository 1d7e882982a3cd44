"""Point 4 of the review diff: the ignore list comes from the base; a head that changes it
cannot hide its own change, and the change of the list is said first."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_envs
from tests.gitops.conftest import edit, git, git_identity  # noqa: F401  (autouse here)

HIDE = "diff:\n  ignore: ['spec.source.targetRevision', '*bkgen.io/version*']\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_head_cannot_hide_its_own_change(shipped: Path) -> None:
    env_yaml = shipped / "overlays/prod/env.yaml"
    env_yaml.write_text(env_yaml.read_text() + HIDE)
    edit(shipped / "overlays/base/versions.yaml", 'bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"')
    render_envs(shipped, ["prod"])
    git(shipped, "commit", "-qam", "bump nodeman, quietly")
    status = git(shipped, "status", "--porcelain", "--ignored")
    for head in (["--head", "HEAD"], []):  # a commit, and the working tree
        code, out = run("diff", "prod", "--root", str(shipped), "--base", "HEAD~1", *head)
        assert code == 1, out
        lines = out.splitlines()
        assert lines[2] == (
            "  !! security: overlays/prod/env.yaml `diff:` changes in this head (ignore [] -> "
            "ignore ['spec.source.targetRevision', '*bkgen.io/version*']): it decides what "
            "reviews hide, so it is not applied here; this review uses the base's settings "
            "(the new ones apply after the merge)"
        )
        assert '       spec.source.targetRevision: "2.2.27" -> "2.4.4"' in lines
        assert "ignored fields" not in out
    md = run("diff", "prod", "--root", str(shipped), "--base", "HEAD~1", "-o", "markdown")[1]
    assert md.index("- **security**: overlays/prod/env.yaml") < md.index("| Application |")
    assert git(shipped, "status", "--porcelain", "--ignored") == status, "a review writes nothing"


def test_the_base_list_applies_once_merged(shipped: Path) -> None:
    env_yaml = shipped / "overlays/prod/env.yaml"
    env_yaml.write_text(env_yaml.read_text() + HIDE)
    git(shipped, "commit", "-qam", "ignore list, reviewed on its own")
    edit(shipped / "overlays/base/versions.yaml", 'bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"')
    render_envs(shipped, ["prod"])
    code, out = run("diff", "prod", "--root", str(shipped))
    assert code == 0, out
    assert out.splitlines()[1] == "== prod: no differences (2 change(s) in ignored fields)"
