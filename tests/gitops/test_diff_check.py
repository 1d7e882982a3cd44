"""diff between refs and directories, check against a fresh render, in real git repos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bkgen.cli import cli
from bkgen.diff import diff_trees
from bkgen.diff.model import MASK, Resource, mask
from bkgen.pipeline import render_envs
from tests.gitops.conftest import git


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
    assert run("diff", "default", "--root", str(project))[0] == 0
    versions = project / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('bk-nodeman: "2.3.5"', 'bk-nodeman: "2.4.4"'))
    render_envs(project, ["default"])
    code, out = run("diff", "default", "--root", str(project), "-o", "json")
    assert code == 1
    data = json.loads(out)
    nodeman = next(a for a in data["applications"] if a["release"] == "bk-nodeman")
    assert nodeman["wave"] == 10
    changes = {c["path"]: (c["old"], c["new"]) for r in nodeman["resources"] for c in r["changes"]}
    assert changes["spec.source.targetRevision"] == ("2.3.5", "2.4.4")
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
    assert (
        code == 1
        and "<details><summary><b>bk-nodeman — sync-wave 10</b>" in out
        and "```mermaid" in out
    )


def test_diff_between_directories_with_rename_and_ignore(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old, namespace: n}\ndata: {k: v}\n"
    )
    (b / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, namespace: n}\ndata: {k: v}\n"
    )
    (a / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {x: '1'}}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: 'a:1'}, {name: side, image: 's:1'}]\n"
    )
    (b / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {x: '2'}}\nspec:\n  template:\n    spec:\n      containers: [{name: side, image: 's:1'}, {name: web, image: 'a:2'}]\n"
    )
    code, out = run("diff", str(a), str(b))
    assert code == 1
    assert "> ConfigMap n/new (renamed from ConfigMap n/old)" in out
    assert 'spec.template.spec.containers[web].image: "a:1" -> "a:2"' in out
    code, out = run("diff", str(a), str(b), "--ignore", "metadata.labels.*")
    assert "metadata.labels.x" not in out
    assert run("diff", str(a), str(a))[0] == 0


def test_secrets_and_sensitive_values_are_masked() -> None:
    body = {"kind": "Secret", "data": {"password": "c2VjcmV0"}, "stringData": {"x": "y"}}
    assert mask(body, secret=True)["data"] == {"password": MASK}
    assert mask({"db": {"rootPassword": "hunter2", "host": "h"}}) == {
        "db": {"rootPassword": MASK, "host": "h"}
    }


_values = st.recursive(
    st.one_of(st.integers(), st.text(max_size=4)),
    lambda c: st.dictionaries(st.sampled_from("abcd"), c, max_size=3),
    max_leaves=8,
)


def _tree(bodies: dict[str, Any]) -> dict[tuple[str, str, str, str], Resource]:
    out = {}
    for name, spec in bodies.items():
        key = ("", "ConfigMap", "n", name)
        out[key] = Resource(
            key,
            f"{name}.yaml",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": spec},
        )
    return out


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), _values, max_size=3))
def test_diff_of_a_tree_with_itself_is_empty(bodies: dict[str, Any]) -> None:
    tree = _tree(bodies)
    assert diff_trees(tree, tree).empty


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _values, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _values, max_size=3),
)
def test_diff_is_symmetric(left: dict[str, Any], right: dict[str, Any]) -> None:
    forward = diff_trees(_tree(left), _tree(right)).counts()
    backward = diff_trees(_tree(right), _tree(left)).counts()
    assert forward["added"] == backward["removed"] and forward["removed"] == backward["added"]
    assert forward["changed"] == backward["changed"]
