"""Read-only views of an environment: catalog, graph, hosts (`explain` is in explain.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from bkgen.cli._common import handle_errors, ip_address, output_option, project_root, root_option

if TYPE_CHECKING:
    from bkgen.overlay.catalog import Release
    from bkgen.overlay.load import Environment


def release_mode(env: Environment, release: Release) -> str:
    """The mode `bkgen render` will use, without rendering."""
    from bkgen.charts.source import local_chart
    from bkgen.render import MODE_ARGOCD_HELM, MODE_HELM, MODE_TEMPLATES, MODE_WORKFLOW

    if release.source == "templates":
        return MODE_TEMPLATES
    if release.source == "workflow":
        return MODE_WORKFLOW
    if local_chart(env, release) is not None:
        return MODE_HELM
    return MODE_ARGOCD_HELM


def catalog_release(env: Environment, name: str) -> Release:
    """A release of the env's catalog by name (`global` is a name explain accepts too)."""
    return env.catalog.release(name, also=("global",))


@click.command()
@click.argument("env", default="default")
@output_option(["text", "json"], "text")
@click.option(
    "--release", "releases", multiple=True, metavar="NAME", help="Only these releases (repeatable)."
)
@root_option
@handle_errors
def catalog(env: str, output: str, releases: tuple[str, ...], root: str | None) -> None:
    """Releases of ENV with suite, seq, wave, mode and version; disabled ones and why."""
    from bkgen.overlay.load import load_environment

    environment = load_environment(project_root(root), env)
    plan = environment.plan
    for name in releases:
        catalog_release(environment, name)
    rows = [
        {
            "release": r.name,
            "suite": r.suite,
            "seq": r.seq,
            "wave": plan.waves[r.name],
            "mode": release_mode(environment, r),
            "version": environment.versions.get(r.name, ""),
            "namespace": r.namespace or str(environment.values.values.get("namespace")),
            "needs": list(plan.needs[r.name]),
            "droppedNeeds": list(plan.dropped.get(r.name, ())),
            "plainCredentials": list(r.plain_credentials),
        }
        for r in plan.releases
        if not releases or r.name in releases
    ]
    if output == "json":
        click.echo(
            json.dumps(
                {"releases": rows, "disabled": dict(sorted(plan.disabled.items()))},
                indent=2,
                sort_keys=True,
            )
        )
        return
    click.echo(f"{'WAVE':>4}  {'RELEASE':<24} {'SUITE':<11} {'SEQ':<15} {'MODE':<12} VERSION")
    for row in rows:
        click.echo(
            f"{row['wave']:>4}  {row['release']:<24} {row['suite']:<11} {row['seq']:<15} "
            f"{row['mode']:<12} {row['version']}"
        )
    for name, why in sorted(plan.disabled.items()):
        if not releases or name in releases:
            click.echo(f"   -  {name:<24} disabled: {why}")
    for name, gone in sorted(plan.dropped.items()):
        if releases and name not in releases:
            continue
        click.echo(f"note: {name} no longer waits for {', '.join(gone)} (disabled)")


@click.command()
@click.argument("env", default="default")
@output_option(["mermaid", "dot"], "mermaid", "Document format.")
@root_option
@handle_errors
def graph(env: str, output: str, root: str | None) -> None:
    """The needs graph of ENV grouped by sync-wave, as Mermaid or Graphviz dot."""
    from bkgen.overlay import wave_graph
    from bkgen.overlay.load import load_environment

    plan = load_environment(project_root(root), env).plan
    click.echo(wave_graph.mermaid(plan) if output == "mermaid" else wave_graph.dot(plan), nl=False)


@click.command()
@click.argument("env", default="default")
@click.option(
    "--ip",
    default=None,
    help="The ingress-nginx ClusterIP (or a node IP for desktops)  [default: the $IP1 "
    "placeholder the runbook fills in]",
)
@output_option(["hosts", "coredns", "list"], "hosts", "Document format.")
@root_option
@handle_errors
def hosts(env: str, ip: str | None, output: str, root: str | None) -> None:
    """/etc/hosts or CoreDNS lines for every BlueKing domain of ENV."""
    from bkgen.overlay import hosts as hosts_module
    from bkgen.overlay.load import load_environment

    address = ip_address(ip) if ip is not None else hosts_module.INGRESS_IP_PLACEHOLDER
    items = hosts_module.hosts(load_environment(project_root(root), env))
    if output == "hosts":
        click.echo(hosts_module.etc_hosts(items, address), nl=False)
    elif output == "coredns":
        click.echo(hosts_module.coredns_block(items, address), nl=False)
    else:
        for item in items:
            click.echo(f"{item.name:<32} {item.release}")


COMMANDS = [catalog, graph, hosts]
