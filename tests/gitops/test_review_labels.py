"""Point 3 of the review diff: what was not rendered here and what is not synced is said
where the reviewer reads it; sync-wave moves separate causes from shifts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_envs
from tests.gitops.conftest import edit


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_argocd_rendered_release_says_its_manifests_are_not_here(shipped: Path) -> None:
    edit(
        shipped / "overlays/base/releases/bk-mysql-values.yaml.j2",
        "max_connections=3000",
        "max_connections=5000",
    )
    render_envs(shipped, ["default"])
    code, out = run("diff", "default", "--root", str(shipped))
    assert code == 1, out
    assert (
        "  ~ Helm values bk-mysql (releases/bk-mysql/values.yaml) — same values as the "
        "Application's valuesObject; manifests not rendered here: Argo CD renders chart mysql "
        "9.4.4 into namespace blueking from these values"
    ) in out.splitlines()
    assert "  +      max_connections=5000" in out.splitlines()


def test_root_application_and_project_are_applied_by_hand(shipped: Path) -> None:
    edit(shipped / "overlays/prod/env.yaml", "project: bkce7-prod", "project: bkce7-production")
    render_envs(shipped, ["prod"])
    code, out = run("diff", "prod", "--root", str(shipped))
    assert code == 1, out
    lines = out.splitlines()
    start = lines.index("  apply by hand after merge (not synced by Argo CD):")
    # The root app lives in its own project (`<project>-root`), applied first.
    assert lines[start + 1 : start + 6] == [
        "    kubectl apply -f rendered/prod/argocd/bootstrap/AppProject_bkce7-production-root.yaml",
        "    kubectl apply -f rendered/prod/argocd/bootstrap/AppProject_bkce7-production.yaml",
        "    kubectl apply -f rendered/prod/argocd/bootstrap/Application_prod-root.yaml",
        "    kubectl delete appproject -n argocd bkce7-prod",
        "    kubectl delete appproject -n argocd bkce7-prod-root",
    ]
    assert any(
        line.startswith(
            "  ~ Application.argoproj.io argocd/prod-root — applied by hand, not synced by Argo CD"
        )
        for line in lines
    )
    md = run("diff", "prod", "--root", str(shipped), "-o", "markdown")[1]
    assert "**Apply by hand after merge** (not synced by Argo CD):\n- `kubectl apply -f" in md


def test_sync_wave_moves_separate_the_cause_from_the_shifted(shipped: Path) -> None:
    edit(
        shipped / "overlays/base/catalog.yaml",
        "    needs: [bk-mysql, bk-redis, app-secrets]\n  bk-apigateway:",
        "    needs: [bk-mysql, bk-redis, app-secrets, bk-repo]\n  bk-apigateway:",
    )
    render_envs(shipped, ["default"])
    code, out = run("diff", "default", "--root", str(shipped))
    assert code == 1, out
    lines = out.splitlines()
    assert "  bk-auth                    3 → 4  - / 1 Application / -" in lines
    assert "  bk-job                    9 → 10  - / 1 Application / -" in lines
    note = next(line for line in lines if "sync-waves moved" in line)
    assert note.startswith(
        "  note: sync-waves moved by their own change (added, removed or needs changed): "
        "bk-auth 3 → 4; shifted by them (needs unchanged): bk-apigateway 4 → 5, "
    )
    assert "-- default / bk-auth (sync-wave 3 → 4)" in lines
    data = json.loads(run("diff", "default", "--root", str(shipped), "-o", "json")[1])
    moves = data["environments"][0]["waveMoves"]
    assert moves[0] == {"release": "bk-auth", "old": 3, "new": 4, "cause": True}
    assert all(not m["cause"] for m in moves[1:]) and len(moves) == 24
