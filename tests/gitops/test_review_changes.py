"""Point 1 of the review diff: no real change reported as none (order, invisible
characters, a rename with an edit), on the shipped environments in a real git repo."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_envs
from tests.gitops.conftest import edit, git

TEMPLATESET = "overlays/bcs-demo/templatesets/web-nginx/manifests"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_reordered_env_is_a_change_shown_as_a_move(shipped: Path) -> None:
    sts = shipped / TEMPLATESET / "statefulset-rumpetroll.yaml"
    edit(sts, "            - name: REDIS_HOST\n              value: redis\n", "")
    edit(
        sts,
        "          env:\n            - name: DOMAIN",
        "          env:\n            - name: REDIS_HOST\n              value: redis\n"
        "            - name: DOMAIN",
    )
    edit(
        sts,
        "            - containerPort: 20000\n              name: web\n",
        "            - containerPort: 20000\n              name: web\n            - containerPort: 20001\n              name: admin\n",
    )
    render_envs(shipped, ["bcs-demo"])
    git(shipped, "commit", "-qam", "reorder env")
    code, out = run(
        "diff", "bcs-demo", "--root", str(shipped), "--base", "HEAD~1", "--head", "HEAD"
    )
    assert code == 1, out
    lines = out.splitlines()
    for ns in ("dev", "preprod", "prod"):
        assert f"  ~ StatefulSet.apps {ns}/rumpetroll" in lines
    assert (
        lines.count("       spec.template.spec.containers[web].env[3] REDIS_HOST moved to env[0]")
        == 3
    )
    data = json.loads(
        run("diff", "bcs-demo", "--root", str(shipped), "--base", "HEAD~1", "-o", "json")[1]
    )
    moves = [
        c
        for a in data["environments"][0]["applications"]
        for r in a["resources"]
        for c in r["changes"]
        if c["kind"] == "moved"
    ]
    assert moves[0]["path"] == "spec.template.spec.containers[web].env[REDIS_HOST]"
    assert (moves[0]["from"], moves[0]["to"]) == (3, 0)


def test_swapped_args_are_moves_not_unrelated_lines(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, args: %s}]\n"
    (a / "p.yaml").write_text(doc % "['--a', '--b', '--c']")
    (b / "p.yaml").write_text(doc % "['--c', '--a', '--b']")
    code, out = run("diff", str(a), str(b))
    assert code == 1
    assert 'spec.containers[c].args[2] "--c" moved to args[0]' in out
    assert "(added)" not in out and "(removed)" not in out


def test_invisible_differences_are_made_visible(shipped: Path) -> None:
    conf = shipped / TEMPLATESET / "configmap-web-nginx-conf.yaml"
    edit(conf, "index  index.html;", "index  index.html;  ")
    edit(conf, "root   /usr/share", "root\t/usr/share")
    edit(conf, "default.conf: |", "default.conf: |-")
    render_envs(shipped, ["bcs-demo"])
    code, out = run("diff", "bcs-demo", "--root", str(shipped))
    assert code == 1, out
    assert "-              index  index.html;" in out
    assert "+              index  index.html;\u2420\u2420" in out
    assert "+              root\u2409/usr/share/nginx/html;" in out
    assert "  +      }\n  +      \\ No newline at end of file" in out


def test_crlf_is_shown(shipped: Path) -> None:
    conf = shipped / "rendered/bcs-demo/releases/web-nginx/ConfigMap.core_dev_web-nginx-conf.yaml"
    doc = yaml.safe_load(conf.read_text())
    doc["data"]["default.conf"] = doc["data"]["default.conf"].replace("\n", "\r\n")
    conf.write_text(yaml.safe_dump(doc))
    code, out = run("diff", "bcs-demo", "--root", str(shipped))
    assert code == 1, out
    assert "  -      server {\n" in out and "  +      server {\u240d\n" in out


def test_rename_with_an_edit_shows_the_field_diff(shipped: Path) -> None:
    dep = shipped / TEMPLATESET / "deployment-web-nginx.yaml"
    edit(dep, "  name: web-nginx\n", "  name: web-nginx-v2\n")
    edit(dep, "replicas: {{INSTANCE_NUM}}", "replicas: 5")
    render_envs(shipped, ["bcs-demo"])
    code, out = run("diff", "bcs-demo", "--root", str(shipped))
    assert code == 1, out
    assert "> Deployment.apps dev/web-nginx-v2 (renamed from Deployment.apps dev/web-nginx)" in out
    assert "spec.replicas:" in out and "-> 5" in out
