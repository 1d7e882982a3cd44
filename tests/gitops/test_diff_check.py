"""diff between refs and directories, check against a fresh render, in real git repos."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_envs
from tests.gitops.conftest import git

# The releases whose chart reads the MySQL root Secret by name (bk-job through
# externalMariaDB.existingPasswordSecret). The app charts that take only a plain password
# (bk-apigateway among them) get no Secret reference from the base (docs/catalog.md).
MYSQL_USERS = ["bk-job", "bk-mysql"]
SECRET_NAME_KEYS = ("existingSecret", "existingPasswordSecret")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_check_passes_then_fails_when_overlays_change(project: Path) -> None:
    assert run("check", "--root", str(project)) == (0, "rendered/default: up to date\n")
    custom = project / "overlays/default/custom.yaml"
    custom.write_text(
        custom.read_text().replace("bkDomain: bkce7.bktencent.com", "bkDomain: bk.example.org")
    )
    code, out = run("check", "--root", str(project))
    assert code == 1
    assert "differ from a fresh render" in out and "bkrepo.bk.example.org" in out


def test_check_fails_on_hand_edits_and_stray_envs(project: Path) -> None:
    app = project / "rendered/default/argocd/apps/Application_default-bk-job.yaml"
    app.write_text(app.read_text().replace("selfHeal: true", "selfHeal: false"))
    code, out = run("check", "--root", str(project))
    assert code == 1 and "spec.syncPolicy.automated.selfHeal: false -> true" in out
    shutil.copytree(project / "rendered/default", project / "rendered/ghost")
    assert "rendered/ghost: no overlays/ghost" in run("check", "--root", str(project))[1]


def test_diff_working_tree_against_head_groups_by_application(project: Path) -> None:
    code, out = run("diff", "default", "--root", str(project))
    assert code == 0 and out.splitlines()[1] == "== default: no differences"
    versions = project / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"'))
    render_envs(project, ["default"])
    code, out = run("diff", "default", "--root", str(project), "-o", "json")
    assert code == 1
    data = json.loads(out)
    env = data["environments"][0]
    nodeman = next(a for a in env["applications"] if a["release"] == "bk-nodeman")
    assert nodeman["wave"] == 10
    changes = {c["path"]: c for r in nodeman["resources"] for c in r["changes"]}
    assert (
        changes["spec.source.targetRevision"]["old"],
        changes["spec.source.targetRevision"]["new"],
    ) == ("2.2.27", "2.4.4")
    assert changes["spec.source.targetRevision"]["kind"] == "changed"
    assert changes['metadata.annotations["bkgen.io/version"]']["new"] == "2.4.4"
    git(project, "commit", "-qam", "bump nodeman")
    code, out = run(
        "diff",
        "default",
        "--root",
        str(project),
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "-o",
        "markdown",
    )
    assert code == 1
    assert out.startswith("### bkgen diff\n\nbase HEAD~1 (")
    assert "| bk-nodeman | 10 |  | 1 Application |  |" in out
    assert "<details><summary><b>bk-nodeman</b> — sync-wave 10 (1 changed)</summary>" in out
    # The summary table comes before any details.
    assert out.index("| Application |") < out.index("<details>")


def test_secret_rename_shows_the_new_reference_in_every_application(project: Path) -> None:
    values = project / "overlays/base/values.yaml"
    values.write_text(
        values.read_text().replace("mysqlRoot: {name: bk-mysql,", "mysqlRoot: {name: bk-mysql-v2,")
    )
    render_envs(project, ["default"])
    code, out = run("diff", "default", "--root", str(project), "-o", "json")
    assert code == 1
    apps = json.loads(out)["environments"][0]["applications"]
    shown = {
        a["release"]
        for a in apps
        for r in a["resources"]
        for c in r["changes"]
        if c["path"].endswith(SECRET_NAME_KEYS)
        and c["new"] == "bk-mysql-v2"
        and c["old"] == "bk-mysql"
    }
    assert shown == set(MYSQL_USERS)
    code, text = run("diff", "default", "--root", str(project))
    assert sum(
        text.count(f'{key}: "bk-mysql" -> "bk-mysql-v2"') for key in SECRET_NAME_KEYS
    ) == len(MYSQL_USERS)
    # Each change once: the Application's valuesObject is folded into values.yaml, and said so.
    assert "valuesObject" not in "".join(line for line in text.splitlines() if "->" in line)
    assert "Helm values are reviewed once, as releases/RELEASE/values.yaml" in text


def test_unknown_ref_and_env_are_usage_errors(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["diff", "default", "--root", str(project), "--base", "nosuchref"]
    )
    assert result.exit_code == 2 and "unknown git ref 'nosuchref'" in result.output
    result = CliRunner().invoke(cli, ["diff", "nosuchenv", "--root", str(project)])
    assert result.exit_code == 2 and "unknown environment 'nosuchenv'" in result.output


def test_default_base_is_the_merge_base_with_the_default_branch(project: Path) -> None:
    main = git(project, "rev-parse", "HEAD").strip()
    git(project, "checkout", "-qb", "feature")
    versions = project / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"'))
    render_envs(project, ["default"])
    git(project, "commit", "-qam", "bump nodeman on a branch")
    code, out = run("diff", "--root", str(project))
    first = out.splitlines()[0]
    assert code == 1, out
    assert (
        first
        == f"bkgen diff: base {main[:12]} (merge base with main (default branch)), head working tree"
    )
    assert "bk-nodeman" in out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_diff_between_directories_with_rename_and_ignore(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _write(
        a / "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old, namespace: n}\ndata: {k: v}\n",
    )
    _write(
        b / "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, namespace: n}\ndata: {k: v}\n",
    )
    _write(
        a / "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {x: '1', helm.sh/chart: d-1}}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: 'a:1'}, {name: side, image: 's:1'}]\n",
    )
    _write(
        b / "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {x: '2', helm.sh/chart: d-2}}\nspec:\n  template:\n    spec:\n      containers: [{name: side, image: 's:1'}, {name: web, image: 'a:2'}]\n",
    )
    code, out = run("diff", str(a), str(b))
    assert code == 1
    assert "> ConfigMap n/new (renamed from ConfigMap n/old)" in out
    assert 'spec.template.spec.containers[web].image: "a:1" -> "a:2"' in out
    # helm.sh/chart is ignored by default, but counted.
    assert "helm.sh/chart" not in out and "1 change(s) in ignored fields" in out
    code, out = run("diff", str(a), str(b), "--ignore", "metadata.labels.*")
    assert "metadata.labels.x" not in out and "2 change(s) in ignored fields" in out
    code, out = run("diff", str(a), str(b), "--no-default-ignore", "-o", "json")
    paths = [
        c["path"]
        for e in json.loads(out)["environments"]
        for app in e["applications"]
        for r in app["resources"]
        for c in r["changes"]
    ]
    assert 'metadata.labels["helm.sh/chart"]' in paths
    assert run("diff", str(a), str(a))[0] == 0


def test_only_ignored_changes_exit_0_but_are_counted(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {checksum/config: '%s'}\n"
    _write(a / "c.yaml", body % "1")
    _write(b / "c.yaml", body % "2")
    code, out = run("diff", str(a), str(b))
    assert code == 0 and "no differences (1 change(s) in ignored fields)" in out
    data = json.loads(run("diff", str(a), str(b), "-o", "json")[1])
    change = data["environments"][0]["applications"][0]["resources"][0]["changes"][0]
    assert change == {
        "path": 'metadata.annotations["checksum/config"]',
        "kind": "changed",
        "old": "1",
        "new": "2",
        "sensitive": False,
        "ignored": True,
    }


def test_multiline_values_are_unified_diffs_and_nothing_is_truncated(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    config = "\n".join(f"line{i}=value{i}" for i in range(40))
    long = "x" * 500
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  long: %s\n  conf: |\n%s\n"
    _write(a / "c.yaml", doc % (long, "\n".join(f"    {line}" for line in config.splitlines())))
    changed = config.replace("line20=value20", "line20=CHANGED")
    _write(
        b / "c.yaml",
        doc % (long + "END", "\n".join(f"    {line}" for line in changed.splitlines())),
    )
    code, out = run("diff", str(a), str(b))
    assert code == 1
    assert "-      line20=value20" in out and "+      line20=CHANGED" in out
    assert "       line17=value17" in out and "line10=value10" not in out  # 3 lines of context
    assert "@@ -18,7 +18,7 @@" in out
    assert f'"{long}END"' in out  # no "..." truncation


def test_added_resource_in_full_removed_by_name_kind_and_size(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _write(
        a / "gone.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: gone, namespace: n}\nspec: {ports: [{port: 80}]}\n",
    )
    _write(
        b / "new.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fresh, namespace: n}\ndata: {colour: blue}\n",
    )
    code, out = run("diff", str(a), str(b))
    assert code == 1
    assert "+ ConfigMap n/fresh" in out and "+      colour: blue" in out
    assert re.search(r"- Service n/gone \(removed, \d+ lines\)", out)


def test_markdown_is_cut_at_resource_boundaries_and_full_report_written(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    for i in range(120):
        data = "\n".join(f"  k{j}: v{j}-{i}-" + "y" * 60 for j in range(12))
        _write(
            b / f"r{i}/cm.yaml",
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i:03}\n  labels: {{bkgen.io/release: app{i:03}}}\ndata:\n{data}\n",
        )
    full = tmp_path / "full.md"
    code, out = run("diff", str(a), str(b), "-o", "markdown", "--output-file", str(full))
    assert code == 1
    assert len(out) <= 65_536
    assert "**Truncated** at the comment size limit" in out and str(full.name) in out
    assert out.count("<details>") == out.count("</details>") and out.count("```") % 2 == 0
    assert "```diff\n```" not in out  # no application section left empty by the cut
    text = full.read_text()
    assert "**Truncated**" not in text and text.count("+ ConfigMap cm") == 120
    shown = out.count("+ ConfigMap cm")
    left = int(re.search(r"(\d+) resource\(s\) in \d+ application\(s\) not shown", out).group(1))
    assert shown + left == 120 and shown > 0
    # Every resource shown is shown whole: its last line is there.
    for match in re.finditer(r"\+ ConfigMap cm(\d+)", out):
        assert f"k11: v11-{int(match.group(1))}-" in out


def test_diff_output_grammar_and_bad_input(tmp_path: Path) -> None:
    a = tmp_path / "a"
    _write(a / "bad.yaml", "apiVersion: v1\nkind: [unclosed\n")
    result = CliRunner().invoke(cli, ["diff", str(a), str(a)])
    assert (
        result.exit_code == 2 and "bad.yaml:" in result.output and "Traceback" not in result.output
    )


def test_env_config_ignores_paths_but_counts_them(project: Path) -> None:
    env_yaml = project / "overlays/default/env.yaml"
    env_yaml.write_text(
        env_yaml.read_text() + "diff:\n  ignore: ['metadata.annotations[\"bkgen.io/version\"]']\n"
    )
    git(project, "commit", "-qam", "ignore list")  # trusted once on the base side
    versions = project / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"'))
    render_envs(project, ["default"])
    code, out = run("diff", "default", "--root", str(project))
    assert code == 1
    assert 'spec.source.targetRevision: "2.2.27" -> "2.4.4"' in out
    assert "bkgen.io/version" not in out and "1 change(s) in ignored fields" in out
    data = json.loads(run("diff", "default", "--root", str(project), "-o", "json")[1])
    ignored = [
        c
        for a in data["environments"][0]["applications"]
        for r in a["resources"]
        for c in r["changes"]
        if c["ignored"]
    ]
    assert [c["path"] for c in ignored] == ['metadata.annotations["bkgen.io/version"]']
    assert data["environments"][0]["summary"]["ignored"] == 1


def test_a_deleted_environment_is_reviewed_as_removed(project: Path) -> None:
    shutil.copytree(project / "overlays/default", project / "overlays/keep")
    shutil.rmtree(project / "overlays/default")
    shutil.rmtree(project / "rendered/default")
    code, out = run("diff", "--root", str(project), "-o", "json")
    assert code == 1
    (env,) = [e for e in json.loads(out)["environments"] if e["env"] == "default"]
    assert env["summary"]["removed"] > 100 and env["summary"]["added"] == 0


def test_check_json_is_one_document(project: Path) -> None:
    app = project / "rendered/default/argocd/apps/Application_default-bk-job.yaml"
    app.write_text(app.read_text().replace("selfHeal: true", "selfHeal: false"))
    result = CliRunner().invoke(cli, ["check", "--root", str(project), "-o", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    (env,) = data["environments"]
    assert env["env"] == "default" and env["summary"]["changed"] == 1
    assert "differ from a fresh render" in result.stderr


def test_the_json_report_lists_every_environments_ignored_fields(project: Path) -> None:
    shutil.copytree(project / "overlays/default", project / "overlays/stage")
    for env, field in (("default", "metadata.labels.only-default"), ("stage", "spec.only-stage")):
        env_yaml = project / "overlays" / env / "env.yaml"
        env_yaml.write_text(
            env_yaml.read_text().replace("rendered/default", f"rendered/{env}")
            + f"diff:\n  ignore: [{field}]\n"
        )
    git(project, "add", "-A")
    git(project, "commit", "-qm", "ignore lists (trusted from the base side)")
    render_envs(project, ["default", "stage"])
    code, out = run("diff", "--base", "HEAD", "-o", "json", "--root", str(project))
    assert code == 1, out
    ignored = json.loads(out)["ignore"]
    assert "metadata.labels.only-default" in ignored and "spec.only-stage" in ignored
