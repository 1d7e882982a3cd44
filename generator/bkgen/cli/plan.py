"""`bkgen plan ENV`: the capacity plan of a rendered environment (docs/capacity.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bkgen.cli._common import exit_with, handle_errors, output_option, project_root, root_option
from bkgen.kube.quantity import format_cpu, format_memory

if TYPE_CHECKING:  # the core loads when the command runs: `bkgen --help` must not pay for it
    from bkgen.capacity import plan as capacity
    from bkgen.overlay.load import Environment


@click.command("plan")
@click.argument("env", default="default")
@output_option(["text", "json"], "text")
@root_option
@handle_errors
def plan_command(env: str, output: str, root: str | None) -> None:
    """Summed CPU/memory requests and limits of rendered/ENV per suite, against the
    runbook's node table and env.yaml `nodes:`; exit 1 when the verdict is fail."""
    from bkgen.overlay.load import load_environment

    environment = load_environment(project_root(root), env)
    result, node_settings = _plan(environment)
    if output == "json":
        click.echo(json.dumps(_as_json(result, node_settings), indent=2, ensure_ascii=False))
    else:
        click.echo(_as_text(result, node_settings, environment))
    if result.verdict == "fail":
        exit_with(1)


def _plan(env: Environment) -> tuple[capacity.Plan, dict[str, Any] | None]:
    from bkgen.capacity import plan as capacity

    suites = {name: release.suite for name, release in env.catalog.releases.items()}
    releases = capacity.read_tree(env.root / "rendered" / env.name, env.root, suites)
    env_file = env.shown(env.env_dir / "env.yaml")
    nodes = capacity.read_nodes(env.settings.nodes, env_file, env.settings.lines.get("nodes"))
    result = capacity.build(
        env.name,
        env.settings.suites,
        releases,
        nodes,
        capacity.read_capacity(env.catalog.capacity),
    )
    settings = capacity.node_settings(
        env.base_dir, env.root, env.values.values, [r.name for r in env.plan.releases]
    )
    return result, settings


def _use(use: capacity.Use) -> dict[str, Any]:
    return {
        "cpuRequestsMillicores": int(use.cpu_requests * 1000),
        "cpuLimitsMillicores": int(use.cpu_limits * 1000),
        "memoryRequestsBytes": int(use.memory_requests),
        "memoryLimitsBytes": int(use.memory_limits),
    }


def _as_json(result: capacity.Plan, node_settings: dict[str, Any] | None) -> dict[str, Any]:
    cap = result.capacity
    suites = []
    for suite in result.suites:
        replicated, per_node = result.suite_use(suite)
        mine = [r for r in result.releases if r.suite == suite]
        suites.append(
            {
                "suite": suite,
                "counted": _use(replicated),
                "perNode": _use(per_node),
                "releases": {
                    "counted": [r.name for r in mine if r.counted],
                    "notCounted": {r.name: r.mode for r in mine if not r.counted},
                },
                "runbookNodes": (
                    {
                        "minimum": float(cap.suites[suite][0]),
                        "recommended": float(cap.suites[suite][1]),
                    }
                    if cap is not None and suite in cap.suites
                    else None
                ),
            }
        )
    nodes = result.nodes
    return {
        "env": result.env,
        "suites": suites,
        "total": _use(result.total()),
        "nodes": (
            {
                "count": nodes.count,
                "cpuMillicores": int(nodes.cpu * 1000),
                "memoryBytes": int(nodes.memory),
            }
            if nodes
            else None
        ),
        "runbook": cap.source if cap else None,
        "unboundedContainers": [c for r in result.releases for c in r.unbounded],
        "transient": [t for r in result.releases for t in r.transient],
        "verdict": result.verdict,
        "checks": [{"level": c.level, "message": c.message} for c in result.checks],
        "dockerDaemon": node_settings,
    }


def _as_text(result: capacity.Plan, node_settings: dict[str, Any] | None, env: Environment) -> str:
    cap = result.capacity
    header = ("SUITE", "COUNTED", "CPU REQ", "CPU LIM", "MEM REQ", "MEM LIM", "RUNBOOK NODES")
    rows: list[tuple[str, ...]] = [header]
    for suite in result.suites:
        replicated, per_node = result.suite_use(suite)
        mine = [r for r in result.releases if r.suite == suite]
        use = replicated + per_node.times(result.nodes.count if result.nodes else 1)
        runbook = "-"
        if cap is not None and suite in cap.suites:
            low, rec = cap.suites[suite]
            runbook = f"{low.normalize():f}-{rec.normalize():f}"
        rows.append(
            (
                suite,
                f"{sum(r.counted for r in mine)}/{len(mine)}",
                format_cpu(use.cpu_requests),
                format_cpu(use.cpu_limits),
                format_memory(use.memory_requests),
                format_memory(use.memory_limits),
                runbook,
            )
        )
    total = result.total()
    rows.append(
        (
            "total",
            f"{sum(r.counted for r in result.releases)}/{len(result.releases)}",
            format_cpu(total.cpu_requests),
            format_cpu(total.cpu_limits),
            format_memory(total.memory_requests),
            format_memory(total.memory_limits),
            "",
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"capacity plan of rendered/{result.env} (requests and limits of what it holds)", ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.append("")
    for mode, why in (
        ("helm-argocd", "rendered by Argo CD, not here"),
        ("workflow", "run to completion"),
    ):
        names = [r.name for r in result.releases if r.mode == mode]
        if names:
            lines.append(f"not counted ({mode}: {why}): {', '.join(names)}")
    transient = [t for r in result.releases for t in r.transient]
    if transient:
        lines.append(f"not counted (run to completion): {', '.join(transient)}")
    unbounded = [c for r in result.releases for c in r.unbounded]
    if unbounded:
        lines.append(f"requesting nothing (counted as 0): {', '.join(unbounded)}")
    if result.nodes is not None:
        n = result.nodes
        where = f"{env.shown(env.env_dir / 'env.yaml')}:{n.line}"
        lines.append(
            f"nodes ({where}): {n.count} x {format_cpu(n.cpu)} CPU / {format_memory(n.memory)}"
            f" = {format_cpu(n.cpu * n.count)} CPU / {format_memory(n.memory * n.count)}"
        )
    if cap is not None:
        lines.append(f"runbook: {cap.source}")
    lines += ["", f"verdict: {result.verdict.upper()}"]
    lines += [f"  {c.level:<4}  {c.message}" for c in result.checks]
    if node_settings is not None:
        lines += [
            "",
            "node settings: merge into /etc/docker/daemon.json on every node, then restart docker",
            json.dumps(node_settings, indent=2, ensure_ascii=False),
        ]
    return "\n".join(lines)


COMMANDS = [plan_command]
