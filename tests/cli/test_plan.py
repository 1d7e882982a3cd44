"""`bkgen plan` on real rendered trees: the repository's skiff env and a project rendered here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_one

Project = Callable[..., Path]

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25.3
          resources:
            requests: {cpu: 1500m, memory: 1Gi}
            limits: {cpu: "2", memory: 2Gi}
"""
ENV = """\
kubeVersion: "1.23"
suites: [base]
git:
  repoURL: https://git.example.com/demo.git
nodes:
  count: {count}
  cpu: "{cpu}"
  memory: 16Gi
"""


def _project(make_project: Project, count: int, cpu: str) -> Path:
    root = make_project(
        {
            "overlays/base/templates/namespaces/web.yaml.j2": WEB,
            "overlays/dev/env.yaml": ENV.format(count=count, cpu=cpu),
        }
    )
    render_one(root, "dev")
    return root


def test_plan_json_sums_the_rendered_tree(make_project: Project) -> None:
    root = _project(make_project, 2, "4")
    result = CliRunner().invoke(cli, ["plan", "dev", "-o", "json", "--root", str(root)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == {
        "cpuRequestsMillicores": 3000,
        "cpuLimitsMillicores": 4000,
        "memoryRequestsBytes": 2 * 1024**3,
        "memoryLimitsBytes": 4 * 1024**3,
    }
    assert data["suites"][0]["releases"] == {
        "counted": ["namespaces"],
        "notCounted": {"app": "helm-argocd", "db": "helm-argocd"},
    }
    assert data["nodes"] == {"count": 2, "cpuMillicores": 4000, "memoryBytes": 16 * 1024**3}
    assert data["runbook"] is None and data["dockerDaemon"] is None
    assert data["verdict"] == "warn"  # two charts are left to Argo CD


def test_plan_fails_with_exit_1_when_requests_exceed_the_nodes(make_project: Project) -> None:
    root = _project(make_project, 1, "2")
    result = CliRunner().invoke(cli, ["plan", "dev", "--root", str(root)])
    assert result.exit_code == 1
    assert "verdict: FAIL" in result.output
    assert "fail  CPU requests 3 of 2 (150%)" in result.output
    assert "nodes (overlays/dev/env.yaml:5): 1 x 2 CPU / 16Gi = 2 CPU / 16Gi" in result.output


def test_plan_of_a_bad_nodes_declaration_is_one_line(make_project: Project) -> None:
    root = make_project(
        {"overlays/dev/env.yaml": ENV.format(count=2, cpu="4").replace("16Gi", "16GB")}
    )
    result = CliRunner().invoke(cli, ["plan", "dev", "--root", str(root)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("bkgen:")]
    assert len(lines) == 1 and "overlays/dev/env.yaml:8" in lines[0], result.output


def test_plan_of_the_skiff_env(repo_root: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", "skiff", "-o", "json", "--root", str(repo_root)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # keepalived-master and keepalived-ingress: 50m/200m, 64Mi/128Mi each, on 3 nodes
    assert data["total"] == {
        "cpuRequestsMillicores": 300,
        "cpuLimitsMillicores": 1200,
        "memoryRequestsBytes": 384 * 1024**2,
        "memoryLimitsBytes": 768 * 1024**2,
    }
    assert data["runbook"] is None  # the runbook's table is BlueKing's
    assert len([t for s in data["suites"] for t in s["releases"]["notCounted"]]) == 39


def test_plan_of_default_has_the_runbook_table_and_the_node_settings(repo_root: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", "default", "-o", "json", "--root", str(repo_root)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["runbook"].startswith("seed 002")
    assert data["suites"][0]["runbookNodes"] == {"minimum": 2.5, "recommended": 3.0}
    assert data["dockerDaemon"] == {
        "insecure-registries": ["docker.bkce7.bktencent.com"],
        "registry-mirrors": ["http://$CACHE_IP:5500"],
    }
    assert data["nodes"] is None
    assert data["checks"][0] == {
        "level": "warn",
        "message": "no nodes: in env.yaml, so nothing to compare against",
    }
