"""catalog / graph / hosts / explain against the shipped overlays."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli


def run(repo_root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--root", str(repo_root)])
    return result.exit_code, result.output


def test_catalog_json_has_waves_in_runbook_order(repo_root: Path) -> None:
    code, out = run(repo_root, "catalog", "default", "--output", "json")
    assert code == 0, out
    data = json.loads(out)
    wave = {r["release"]: r["wave"] for r in data["releases"]}
    order = ["ingress-nginx", "bk-mysql", "bk-repo", "bk-iam", "bk-paas", "bk-job", "bk-nodeman"]
    assert [wave[r] for r in order] == sorted(wave[r] for r in order)
    assert len({wave[r] for r in order}) == len(order)
    assert "bcs-services-stack" in data["disabled"]  # bcs suite is off in default


def test_prod_drops_bk_mysql_and_consumers_stop_waiting(repo_root: Path) -> None:
    code, out = run(repo_root, "catalog", "prod", "--output", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["disabled"]["bk-mysql"] == "bitnamiMysql.enabled is false"
    paas = next(r for r in data["releases"] if r["release"] == "bk-paas")
    assert "bk-mysql" in paas["droppedNeeds"] and "bk-mysql" not in paas["needs"]
    monitor = next(r for r in data["releases"] if r["release"] == "bk-monitor")
    assert "externalDatabase.password" in monitor["plainCredentials"]
    assert next(r for r in data["releases"] if r["release"] == "bk-job")["plainCredentials"] == []


def test_hosts_lists_runbook_domains(repo_root: Path) -> None:
    code, out = run(repo_root, "hosts", "default", "--ip", "10.0.0.1")
    assert code == 0
    names = [line.split()[1] for line in out.splitlines()]
    for sub in [
        "bkrepo",
        "docker",
        "helm",
        "bkpaas",
        "bkuser",
        "bkapi",
        "apigw",
        "bkiam",
        "cmdb",
        "job",
        "bknodeman",
        "apps",
    ]:
        assert f"{sub}.bkce7.bktencent.com" in names
    assert names[0] == "bkce7.bktencent.com"
    assert "bcs.bkce7.bktencent.com" not in names  # bcs suite disabled in default
    code, out = run(repo_root, "hosts", "prod", "--format", "coredns")
    assert out.startswith("hosts {\n") and "bcs.bk.example.com" in out and "fallthrough" in out


def test_graph_formats(repo_root: Path) -> None:
    code, out = run(repo_root, "graph", "default")
    assert code == 0 and out.startswith("flowchart LR")
    assert "bk_mysql --> bk_paas" in out
    code, out = run(repo_root, "graph", "default", "--format", "dot")
    assert '"bk-mysql" -> "bk-paas";' in out


def test_explain_prints_value_and_chain(repo_root: Path) -> None:
    code, out = run(repo_root, "explain", "prod", "bk-paas", "apiserver.replicaCount")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "apiserver.replicaCount = 3"
    assert lines[1].startswith("  set by overlays/base/releases/bk-paas-values.yaml.j2:")
    assert "  set by overlays/prod/bk-paas-custom-values.yaml.j2:3" in lines
    assert lines[-1] == (
        "  origin: overlays/prod/custom.yaml:6 (values.replicas) → used by "
        "overlays/prod/bk-paas-custom-values.yaml.j2:3"
    )
    code, out = run(repo_root, "explain", "prod", "global", "mysql.host")
    assert out.splitlines()[0] == 'mysql.host = "mysql.db.example.com"'
    assert "overlays/prod/custom.yaml:12" in out


def test_explain_follows_a_template_back_to_the_layer_that_set_it(repo_root: Path) -> None:
    """The issue's case: the registry was set in custom.yaml, not in the template line."""
    code, out = run(repo_root, "explain", "prod", "bk-cmdb", "global.imageRegistry")
    assert code == 0, out
    assert out.splitlines() == [
        'global.imageRegistry = "registry.example.com/blueking-mirror"',
        "  set by overlays/base/releases/bk-cmdb-values.yaml.j2:3",
        "    values.imageRegistry set by overlays/base/values.yaml:4",
        "    values.imageRegistry set by overlays/prod/custom.yaml:5",
        "  origin: overlays/prod/custom.yaml:5 (values.imageRegistry) → used by "
        "overlays/base/releases/bk-cmdb-values.yaml.j2:3",
    ]
    code, out = run(repo_root, "explain", "default", "bk-cmdb", "global.imageRegistry")
    assert out.splitlines()[-1] == (
        "  origin: overlays/base/values.yaml:4 (values.imageRegistry) → used by "
        "overlays/base/releases/bk-cmdb-values.yaml.j2:3"
    )


def test_explain_json_has_the_chain(repo_root: Path) -> None:
    code, out = run(repo_root, "explain", "prod", "bk-cmdb", "global.imageRegistry", "-o", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["value"] == "registry.example.com/blueking-mirror"
    assert data["origin"] == [
        {"file": "overlays/prod/custom.yaml", "line": 5, "key": "values.imageRegistry"},
        {
            "file": "overlays/base/releases/bk-cmdb-values.yaml.j2",
            "line": 3,
            "key": "global.imageRegistry",
        },
    ]
    [step] = data["setBy"]
    assert [u["key"] for u in step["uses"]] == ["values.imageRegistry"]
    code, out = run(repo_root, "explain", "prod", "global", "replicas", "-o", "json")
    data = json.loads(out)
    assert data["origin"] == [{"file": "overlays/prod/custom.yaml", "line": 6, "key": "replicas"}]


def test_explain_lists_every_reference_of_a_composed_value(repo_root: Path) -> None:
    code, out = run(repo_root, "explain", "default", "bk-cmdb", "configAndServiceCenter.addr")
    assert code == 0, out
    assert "    values.zookeeper.host set by overlays/base/values.yaml:" in out
    assert "    values.zookeeper.port set by overlays/base/values.yaml:" in out
    assert "(values.zookeeper.host), overlays/base/values.yaml:" in out.splitlines()[-1]
