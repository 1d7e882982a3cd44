"""Point 6 of the review diff: two environments compared release by release, on their
rendered trees, with the same masking and formats."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.secrets.masking import MASK


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_default_against_prod_matches_applications_by_release(shipped: Path) -> None:
    code, out = run("diff", "--envs", "default", "prod", "--root", str(shipped))
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0] == (
        "bkgen diff: environments default -> prod (working tree), Applications matched by release"
    )
    assert lines[1].startswith("== default -> prod: 55 application(s)")
    # prod's MySQL is external: the release exists in default only.
    assert "  bk-mysql                 2 → (removed)  - / - / 1 Application, 1 Values" in lines
    # One Application per release, its name an ordinary field change.
    start = lines.index("-- default -> prod / bk-nodeman (sync-wave 10)")
    assert lines[start + 1].startswith("  ~ Application.argoproj.io argocd/<env>-bk-nodeman")
    assert '       metadata.name: "default-bk-nodeman" -> "prod-bk-nodeman"' in lines
    assert "       spec.syncPolicy.automated.prune: true -> false" in lines
    assert (
        '       ingress.hostname: "bknodeman.bkce7.bktencent.com" -> "bknodeman.bk.example.com"'
        in lines
    )
    # Comparing environments is not a sync: no data warnings, no by-hand steps.
    assert "!!" not in out and "apply by hand" not in out


def test_env_comparison_formats_and_errors(shipped: Path) -> None:
    assert run("diff", "--envs", "prod", "prod", "--root", str(shipped))[0] == 0
    code, out = run("diff", "--envs", "default", "bcs-demo", "--root", str(shipped), "-o", "json")
    assert code == 1
    env = json.loads(out)["environments"][0]
    assert env["env"] == "default -> bcs-demo"
    releases = {a["release"] for a in env["applications"]}
    assert {"web-nginx", "bcs-services-stack"} <= releases
    for change in (c for a in env["applications"] for r in a["resources"] for c in r["changes"]):
        if change["sensitive"]:
            assert change["old"] in (MASK, None, "", True, False)
    md = run("diff", "--envs", "default", "prod", "--root", str(shipped), "-o", "markdown")[1]
    assert md.startswith("### bkgen diff\n\nenvironments default -> prod (working tree)")
    assert "- **default -> prod**: 55 application(s)" in md
    code, out = run("diff", "--envs", "default", "nosuch", "--root", str(shipped))
    assert (
        code == 2 and len(out.strip().splitlines()) == 1 and "unknown environment 'nosuch'" in out
    )
    code, out = run("diff", "--envs", "default", "prod", "--base", "HEAD", "--root", str(shipped))
    assert code == 2 and "Traceback" not in out


def test_env_comparison_says_the_environments_differ_not_that_they_sync(shipped: Path) -> None:
    """Comparing two environments is not a sync: the plan line says what differs."""
    code, out = run("diff", "--envs", "default", "prod", "--root", str(shipped))
    assert code == 1
    plan = out.splitlines()[1]
    assert plan.startswith("== default -> prod: 55 application(s) differ: "), plan
    assert "will sync" not in out
    md = run("diff", "--envs", "default", "prod", "--root", str(shipped), "-o", "markdown")[1]
    assert "- **default -> prod**: 55 application(s) differ: " in md
    assert "will sync" not in md


def test_both_appprojects_of_each_environment_are_compared(shipped: Path) -> None:
    # Each env has the children's project and the root app's `<project>-root`: both are
    # matched by role, neither hides the other.
    code, out = run("diff", "--envs", "default", "prod", "--root", str(shipped), "-o", "json")
    assert code == 1, out
    assert "argocd/<project>-root" in out and 'argocd/<project>"' in out, out[-3000:]
