"""Read-only views of an environment: catalog, graph, hosts, explain."""

from __future__ import annotations

import json
from typing import Any

import click

from bkgen.charts.source import local_chart
from bkgen.cli._common import handle_errors, ip_address, output_option, project_root, root_option
from bkgen.errors import UsageError
from bkgen.overlay import bcs_variables, wave_graph
from bkgen.overlay import hosts as hosts_module
from bkgen.overlay.catalog import Release
from bkgen.overlay.layers import release_values
from bkgen.overlay.load import Environment, load_environment
from bkgen.overlay.merge import KeyPath, Merged, Origin, format_key_path, lookup, parse_key_path
from bkgen.overlay.provenance import Step, steps
from bkgen.render import MODE_ARGOCD_HELM, MODE_HELM, MODE_TEMPLATES, MODE_WORKFLOW
from bkgen.secrets.masking import mask_text, mask_value, path_sensitive
from bkgen.suggest import closest_key_path, did_you_mean
from bkgen.yamlio import dump


def _mode(env: Environment, release: Release) -> str:
    """The mode `bkgen render` will use, without rendering."""
    if release.source == "templates":
        return MODE_TEMPLATES
    if release.source == "workflow":
        return MODE_WORKFLOW
    if local_chart(env, release) is not None:
        return MODE_HELM
    return MODE_ARGOCD_HELM


def _release(env: Environment, name: str) -> Release:
    """A release of the env's catalog by name; an unknown name gets the closest one."""
    entry = env.catalog.releases.get(name)
    if entry is None:
        known = [*env.catalog.releases, "global"]
        raise UsageError(
            f"unknown release '{name}'",
            hint=did_you_mean(name, known, "`bkgen catalog ENV` lists them"),
        )
    return entry


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
    environment = load_environment(project_root(root), env)
    plan = environment.plan
    for name in releases:
        _release(environment, name)
    rows = [
        {
            "release": r.name,
            "suite": r.suite,
            "seq": r.seq,
            "wave": plan.waves[r.name],
            "mode": _mode(environment, r),
            "version": environment.versions.get(r.name, ""),
            "namespace": r.namespace or str(environment.values.values.get("namespace")),
            "needs": list(plan.needs[r.name]),
            "droppedNeeds": list(plan.dropped.get(r.name, ())),
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
@output_option(["mermaid", "dot"], "mermaid", "Document format.", alias="--format")
@root_option
@handle_errors
def graph(env: str, output: str, root: str | None) -> None:
    """The needs graph of ENV grouped by sync-wave, as Mermaid or Graphviz dot."""
    plan = load_environment(project_root(root), env).plan
    click.echo(wave_graph.mermaid(plan) if output == "mermaid" else wave_graph.dot(plan), nl=False)


@click.command()
@click.argument("env", default="default")
@click.option(
    "--ip",
    default=hosts_module.INGRESS_IP_PLACEHOLDER,
    show_default=True,
    help="The ingress-nginx ClusterIP (or a node IP for desktops).",
)
@output_option(["hosts", "coredns", "list"], "hosts", "Document format.", alias="--format")
@root_option
@handle_errors
def hosts(env: str, ip: str, output: str, root: str | None) -> None:
    """/etc/hosts or CoreDNS lines for every BlueKing domain of ENV."""
    if ip != hosts_module.INGRESS_IP_PLACEHOLDER:
        ip = ip_address(ip)
    items = hosts_module.hosts(load_environment(project_root(root), env))
    if output == "hosts":
        click.echo(hosts_module.etc_hosts(items, ip), nl=False)
    elif output == "coredns":
        click.echo(hosts_module.coredns_block(items, ip), nl=False)
    else:
        for item in items:
            click.echo(f"{item.name:<32} {item.release}")


@click.command()
@click.argument("env")
@click.argument("release")
@click.argument("key")
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@root_option
@handle_errors
def explain(env: str, release: str, key: str, output: str, root: str | None) -> None:
    """Final value of KEY for RELEASE in ENV and every file:line that set it.

    RELEASE `global` explains the global values (versions, values.yaml, custom.yaml).
    For a BCS template set KEY is a variable, optionally NAMESPACE.VARIABLE for one instance.
    KEY is dotted; quote keys containing dots: 'metadata.annotations["a.b/c"]'.
    """
    environment = load_environment(project_root(root), env)
    try:
        path = parse_key_path(key)
    except ValueError as err:
        raise UsageError(str(err)) from None
    merged: Merged
    if release == "global":
        merged = environment.values
    else:
        entry = _release(environment, release)
        if entry.template_set is not None:  # BCS variables per instance, by scope
            tset = environment.template_sets[entry.template_set]
            registry = bcs_variables.registry_setting(environment.values)
            for line in bcs_variables.explain(tset, environment.bcs, registry, key):
                click.echo(mask_text(line))
            return
        merged = release_values(environment, entry)
    chain = merged.chain(path)
    try:
        value = lookup(merged.values, path)
    except KeyError as err:
        if not chain:
            meant = closest_key_path(parse_key_path(err.args[0]), merged.values)
            raise UsageError(
                f"{release}: no value at '{err.args[0]}'",
                hint=f"did you mean '{format_key_path(meant)}'?" if meant else None,
            ) from None
        value = None
    value = mask_value(value, path_sensitive(merged.values, path))
    chain_steps = steps(environment.root, merged, path, environment.values)
    if release == "global":
        chain_steps = [Step(sub, origin) for sub, origin in chain]  # no template in between
    if output == "json":
        click.echo(json.dumps(_explain_json(release, path, value, chain_steps), indent=2))
        return
    text = dump(value).rstrip("\n") if isinstance(value, dict | list) and value else None
    label = format_key_path(path)
    if text is not None:
        click.echo(f"{label}:\n" + "\n".join(f"  {line}" for line in text.splitlines()))
    else:
        click.echo(f"{label} = {json.dumps(value)}")
    for step in chain_steps:
        suffix = "" if step.key == path else f"  ({format_key_path(step.key)})"
        click.echo(f"  set by {step.origin}{suffix}")
        for use in step.uses:
            for sub, origin in use.chain:
                click.echo(f"    values.{format_key_path(sub)} set by {origin}")
    last = next((s for s in reversed(chain_steps) if s.key == path), None)
    if last is not None and last.uses:
        sources = ", ".join(
            f"{use.effective} (values.{format_key_path(use.key)})" for use in last.uses
        )
        click.echo(f"  origin: {sources} → used by {last.origin}")


def _explain_json(release: str, path: KeyPath, value: Any, chain: list[Step]) -> dict[str, Any]:
    def origin(o: Origin) -> dict[str, Any]:
        return {"file": o.source, "line": o.line}

    last = next((s for s in reversed(chain) if s.key == path), None)
    return {
        "release": release,
        "key": format_key_path(path),
        "value": value,
        "setBy": [
            {
                **origin(step.origin),
                "key": format_key_path(step.key),
                "uses": [
                    {
                        "key": "values." + format_key_path(use.key),
                        "setBy": [
                            {**origin(o), "key": "values." + format_key_path(sub)}
                            for sub, o in use.chain
                        ],
                    }
                    for use in step.uses
                ],
            }
            for step in chain
        ],
        # from the layer that decided the value to the line that wrote it into this release
        "origin": (
            [
                {**origin(use.effective), "key": "values." + format_key_path(use.key)}
                for use in last.uses
                if use.effective is not None
            ]
            + [{**origin(last.origin), "key": format_key_path(path)}]
            if last is not None
            else []
        ),
    }


COMMANDS = [catalog, graph, hosts, explain]
