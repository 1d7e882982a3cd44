"""`bkgen plan`: exact sums over rendered trees built here, and the verdict against a table."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bkgen.capacity import plan
from bkgen.yamlio import dump

GI = 1024**3
MI = 1024**2


def _pod(containers: list[dict[str, Any]], init: list[dict[str, Any]] | None = None) -> Any:
    spec: dict[str, Any] = {"containers": containers}
    if init:
        spec["initContainers"] = init
    return {"spec": spec}


def _obj(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = "v1" if kind == "Pod" else "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec}


WEB = [
    _obj(
        "Deployment",
        "api",
        {
            "replicas": 3,
            "template": _pod(
                [
                    {
                        "name": "app",
                        "resources": {
                            "requests": {"cpu": "250m", "memory": "1Gi"},
                            "limits": {"cpu": "0.5", "memory": "1536Mi"},
                        },
                    },
                    {"name": "sidecar", "resources": {"requests": {"cpu": 0.1, "memory": "512Mi"}}},
                ]
            ),
        },
    ),
    _obj(
        "DaemonSet",
        "agent",
        {
            "template": _pod(
                [
                    {
                        "name": "agent",
                        "resources": {
                            "requests": {"cpu": "1e-1", "memory": "64M"},
                            "limits": {"cpu": "200m", "memory": "128e6"},
                        },
                    }
                ]
            )
        },
    ),
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug"},
        "spec": {"containers": [{"name": "sh"}]},
    },
    _obj(
        "Job",
        "migrate",
        {"template": _pod([{"name": "m", "resources": {"requests": {"cpu": "8"}}}])},
    ),
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": {"ports": []}},
]
DB = [
    _obj(
        "StatefulSet",
        "db",
        {
            "template": _pod(
                [{"name": "db", "resources": {"limits": {"cpu": "1", "memory": "2G"}}}],
                init=[{"name": "init", "resources": {"requests": {"cpu": "2", "memory": "128Mi"}}}],
            )
        },
    )
]
SUITES = {"web": "apps", "db": "storage", "ext": "apps", "wf": "ops"}


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "rendered" / "demo"
    releases = {
        "web": ("templates", WEB),
        "db": ("helm-local", DB),
        # Argo CD renders these: a manifest left in the folder must not be counted.
        "ext": (
            "helm-argocd",
            [
                _obj(
                    "Deployment",
                    "big",
                    {
                        "replicas": 9,
                        "template": _pod([{"name": "x", "resources": {"requests": {"cpu": "64"}}}]),
                    },
                )
            ],
        ),
        "wf": ("workflow", []),
    }
    for name, (_, objects) in releases.items():
        folder = tree / "releases" / name
        folder.mkdir(parents=True)
        for doc in objects:
            (folder / f"{doc['kind']}_{doc['metadata']['name']}.yaml").write_text(dump(doc))
        (folder / "values.yaml").write_text("replicas: 40\n")
    index = {
        "env": "demo",
        "releases": {n: {"mode": m, "wave": 0} for n, (m, _) in releases.items()},
    }
    (tree / "index.json").write_text(json.dumps(index))
    return tree


CAPACITY = plan.read_capacity(
    {
        "source": "seed 002 §3.2.2, §5",
        "node": {
            "minimum": {"cpu": 8, "memory": "32Gi"},
            "recommended": {"cpu": 16, "memory": "64Gi"},
        },
        "suites": {
            "apps": {"minimum": 1, "recommended": 2},
            "storage": {"minimum": 0.5, "recommended": 1},
        },
    }
)


def _plan(tmp_path: Path, nodes: dict[str, Any] | None) -> plan.Plan:
    releases = plan.read_tree(_tree(tmp_path), tmp_path, SUITES)
    declared = plan.read_nodes(nodes or {}, "overlays/demo/env.yaml", 7)
    return plan.build("demo", ["apps", "storage", "ops"], releases, declared, CAPACITY)


def test_sums_are_exact_per_release_and_suite(tmp_path: Path) -> None:
    result = _plan(tmp_path, {"count": 2, "cpu": "16", "memory": "64Gi"})
    by_name = {r.name: r for r in result.releases}
    web = by_name["web"]
    # 3 x (250m + 100m), 3 x 500m, 3 x (1Gi + 512Mi), 3 x 1536Mi
    assert web.use == plan.Use(
        Decimal("1.05"), Decimal("1.5"), Decimal(9 * 512 * MI), Decimal(9 * 512 * MI)
    )
    assert web.per_node == plan.Use(
        Decimal("0.1"), Decimal("0.2"), Decimal(64_000_000), Decimal(128_000_000)
    )
    assert web.pods == 5  # 3 replicas, the DaemonSet pod once, the bare pod
    assert web.unbounded == ("Pod/debug:sh",)
    assert web.transient == ("Job/migrate",)
    # limits without requests request the limits; the init container's 2 CPU wins
    assert by_name["db"].use == plan.Use(
        Decimal(2), Decimal(1), Decimal(2 * 10**9), Decimal(2 * 10**9)
    )
    assert not by_name["ext"].counted and by_name["ext"].use == plan.Use()
    assert not by_name["wf"].counted
    apps, apps_per_node = result.suite_use("apps")
    assert apps == web.use and apps_per_node == web.per_node
    assert result.suite_use("ops") == (plan.Use(), plan.Use())
    # the DaemonSet once per declared node
    assert result.total() == plan.Use(
        Decimal("3.25"),
        Decimal("2.9"),
        Decimal(9 * 512 * MI + 2 * 10**9 + 128_000_000),
        Decimal(9 * 512 * MI + 2 * 10**9 + 256_000_000),
    )


def test_verdict_warns_below_the_recommended_count_and_lists_what_is_not_counted(
    tmp_path: Path,
) -> None:
    result = _plan(tmp_path, {"count": 2, "cpu": "16", "memory": "64Gi"})
    assert result.verdict == "warn"
    levels = {c.message: c.level for c in result.checks}
    assert levels["node 16 CPU / 64Gi meets the recommended 16 CPU / 64Gi"] == "ok"
    assert (
        levels["2 nodes: the runbook's nodes for apps + storage: 1.5 at least, 3 recommended"]
        == "warn"
    )
    assert levels["CPU requests 3.25 of 32 (10%)"] == "ok"
    assert levels["suite ops: the runbook gives no node count"] == "ok"
    assert any("1 release(s) rendered by Argo CD are not counted" in m for m in levels)


@pytest.mark.parametrize(
    ("nodes", "failed"),
    [
        ({"count": 1, "cpu": 16, "memory": "64Gi"}, "1 nodes: the runbook's nodes"),
        (
            {"count": 3, "cpu": "4", "memory": "64Gi"},
            "node 4 CPU / 64Gi is below the minimum 8 CPU / 32Gi",
        ),
        ({"count": 3, "cpu": "16", "memory": "2Gi"}, "memory requests 6.55Gi of 6Gi (109%)"),
    ],
)
def test_verdict_fails_on_too_few_too_small_or_overfull_nodes(
    tmp_path: Path, nodes: dict[str, Any], failed: str
) -> None:
    result = _plan(tmp_path, nodes)
    assert result.verdict == "fail"
    assert any(c.level == "fail" and c.message.startswith(failed) for c in result.checks), (
        result.checks
    )


def test_without_nodes_or_table_there_is_no_runbook_verdict(tmp_path: Path) -> None:
    releases = plan.read_tree(_tree(tmp_path), tmp_path, SUITES)
    result = plan.build("demo", ["apps"], releases, None, None)
    assert result.total().cpu_requests == Decimal("3.15")  # the DaemonSet once
    assert [c.level for c in result.checks] == ["warn", "warn"]


def test_a_bad_quantity_in_the_tree_names_the_release(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    bad = WEB[0] | {
        "spec": {"template": _pod([{"name": "a", "resources": {"requests": {"cpu": "1 core"}}}])}
    }
    (tree / "releases" / "web" / "Deployment_api.yaml").write_text(dump(bad))
    with pytest.raises(Exception, match="release 'web': '1 core' is not a quantity"):
        plan.read_tree(tree, tmp_path, SUITES)


def test_no_rendered_tree_says_render_first(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no rendered tree") as caught:
        plan.read_tree(tmp_path / "rendered" / "demo", tmp_path, SUITES)
    assert "bkgen render demo" in str(caught.value.hint)  # type: ignore[attr-defined]
