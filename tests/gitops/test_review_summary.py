"""Point 5 of the review diff: summaries that survive the comment size limit, a change
repeated in many Applications shown once, secret references shown in full."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_envs
from tests.gitops.conftest import edit, git

ENVS = ("bcs-demo", "default", "prod")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_cut_comment_opens_with_one_line_per_environment(shipped: Path, tmp_path: Path) -> None:
    edit(
        shipped / "overlays/base/values.yaml",
        "mysqlRoot: {name: bk-mysql,",
        "mysqlRoot: {name: bk-mysql-v2,",
    )
    edit(shipped / "overlays/base/values.yaml", "  count: 20\n", "  count: 19\n")
    # a sync policy change reaches every Application of prod: shown once, "in N applications"
    edit(shipped / "overlays/prod/env.yaml", "      limit: 10\n", "      limit: 11\n")
    render_envs(shipped, list(ENVS))
    full = tmp_path / "diff-full.md"
    code, out = run(
        "diff", "--all", "--root", str(shipped), "-o", "markdown",
        "--max-chars", "6000", "--output-file", str(full),
    )  # fmt: skip
    assert code == 1, out
    assert len(out) <= 6000
    lines = out.splitlines()
    assert lines[4:10] == [
        "- **bcs-demo**: 3 application(s) will sync: 0 to add, 3 to change, 1 to remove; "
        "1 warning(s): 1 left behind in the cluster",
        # the BK-Log stages read neither the MySQL secret nor localpv
        "- **bklog-dev**: no differences",
        "- **bklog-prod**: no differences",
        "- **bklog-stag**: no differences",
        "- **default**: 3 application(s) will sync: 0 to add, 3 to change, 1 to remove; "
        "1 warning(s): 1 left behind in the cluster",
        "- **prod**: 53 application(s) will sync: 0 to add, 53 to change, 1 to remove; "
        "1 warning(s): 1 left behind in the cluster",
    ]
    assert lines[-1].startswith("**Truncated** at the comment size limit (6,000 characters)")
    assert "\n= in 53 applications: ingress-nginx, " in full.read_text()


def _declare(shipped: Path, ref: str, password: str) -> None:
    """A chart value declared as a secret reference, next to a credential, in the committed
    tree of a release rendered here (values.yaml and the Application's valuesObject)."""
    tree = shipped / "rendered/default"
    values = tree / "releases/bk-paas/values.yaml"
    app = tree / "argocd/apps/Application_default-bk-paas.yaml"
    body = yaml.safe_load(app.read_text())
    for doc in (yaml.safe_load(values.read_text()), body["spec"]["source"]["helm"]["valuesObject"]):
        doc["sessionSecret"] = {"secretRef": ref}
        doc["redisPassword"] = password
        if doc is not body["spec"]["source"]["helm"]["valuesObject"]:
            values.write_text(yaml.safe_dump(doc))
    app.write_text(yaml.safe_dump(body))


def test_secret_references_in_full_values_masked(shipped: Path) -> None:
    _declare(shipped, "bkce7/bk-paas#session-secret", "hunter2-old")
    git(shipped, "commit", "-qam", "declare")
    _declare(shipped, "bkce7/bk-paas-v2#session-secret", "hunter2-new")
    outputs = [run("diff", "default", "--root", str(shipped), "-o", o)[1] for o in ENVS_FORMATS]
    terminal, markdown, as_json = outputs
    assert (
        '       sessionSecret.secretRef: "bkce7/bk-paas#session-secret" -> '
        '"bkce7/bk-paas-v2#session-secret"'
    ) in terminal.splitlines()
    assert "       redisPassword: sensitive value changed (not shown)" in terminal.splitlines()
    assert '+    sessionSecret.secretRef: "bkce7/bk-paas-v2#session-secret"' in markdown
    changes = [
        c
        for a in json.loads(as_json)["environments"][0]["applications"]
        for r in a["resources"]
        for c in r["changes"]
    ]
    assert {
        "path": "sessionSecret.secretRef",
        "new": "bkce7/bk-paas-v2#session-secret",
    }.items() <= next(c for c in changes if c["path"] == "sessionSecret.secretRef").items()
    for out in outputs:
        assert "hunter2" not in out


ENVS_FORMATS = ("terminal", "markdown", "json")
