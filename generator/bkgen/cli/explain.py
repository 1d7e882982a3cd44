"""`bkgen explain`: the final value of a key and every file:line that set it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bkgen.cli._common import handle_errors, output_option, project_root, root_option
from bkgen.cli.inspect import catalog_release
from bkgen.errors import UsageError

if TYPE_CHECKING:
    from bkgen.overlay.load import Environment
    from bkgen.overlay.merge import KeyPath, Merged, Origin
    from bkgen.overlay.provenance import Step
    from bkgen.overlay.template_reads import Read


@click.command()
@click.argument("env")
@click.argument("release")
@click.argument("key")
@output_option(["text", "json"], "text")
@root_option
@handle_errors
def explain(env: str, release: str, key: str, output: str, root: str | None) -> None:
    """Final value of KEY for RELEASE in ENV and every file:line that set it.

    RELEASE `global` explains the global values (versions, values.yaml, custom.yaml).
    For a `templates` release KEY may be a global value its templates read (`count` finds
    `localpv.count`). For a BCS template set KEY is a variable, optionally
    NAMESPACE.VARIABLE for one instance. KEY is dotted; quote keys containing dots:
    'metadata.annotations["a.b/c"]'. A release the env disables is answered and marked so.
    """
    from bkgen.overlay import bcs_variables
    from bkgen.overlay.layers import release_values
    from bkgen.overlay.load import load_environment
    from bkgen.overlay.merge import parse_key_path
    from bkgen.overlay.template_reads import reads_of, template_reads
    from bkgen.secrets.masking import mask_text

    environment = load_environment(project_root(root), env)
    try:
        path = parse_key_path(key)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if release == "global":
        _answer(environment, release, environment.values, path, output, {})
        return
    entry = catalog_release(environment, release)
    disabled = environment.plan.disabled.get(release)
    extra: dict[str, Any] = {"disabled": disabled} if disabled else {}
    if disabled and output != "json":
        click.echo(f"note: {release} is disabled in {env} ({disabled}); it does not render")
    if entry.template_set is not None:  # BCS variables per instance, by scope
        tset = environment.template_sets[entry.template_set]
        registry = bcs_variables.registry_setting(environment.values)
        for line in bcs_variables.explain(tset, environment.bcs, registry, key):
            click.echo(mask_text(line))
        return
    if entry.source == "templates":
        reads = template_reads(environment, entry)
        found = reads_of(reads, path)
        if not found:
            keys = sorted({".".join(r.key) for r in reads})
            raise UsageError(
                f"{release}: templates release with no values of its own; its templates read "
                + (", ".join(f"values.{k}" for k in keys) if keys else "no global values"),
                hint=f"`bkgen explain {env} global {keys[0]}` explains one" if keys else None,
            )
        if output != "json":
            for read in found:
                click.echo(
                    f"{release}: values.{'.'.join(read.key)} read by {read.source}:{read.line}"
                )
        extra |= {"release": release, "readBy": [_read_json(r) for r in found]}
        _answer(environment, "global", environment.values, found[0].key, output, extra)
        return
    _answer(environment, release, release_values(environment, entry), path, output, extra)


def _answer(
    environment: Environment,
    release: str,
    merged: Merged,
    path: KeyPath,
    output: str,
    extra: dict[str, Any],
) -> None:
    from bkgen.errors.suggest import closest_key_path
    from bkgen.overlay.merge import format_key_path, lookup, parse_key_path
    from bkgen.overlay.provenance import Step, steps
    from bkgen.secrets.masking import mask_value, path_sensitive
    from bkgen.yamlio import dump

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
        document = {**_explain_json(release, path, value, chain_steps), **extra}
        click.echo(json.dumps(document, indent=2))
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


def _read_json(read: Read) -> dict[str, Any]:
    return {"key": "values." + ".".join(read.key), "file": read.source, "line": read.line}


def _explain_json(release: str, path: KeyPath, value: Any, chain: list[Step]) -> dict[str, Any]:
    from bkgen.overlay.merge import format_key_path

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


COMMANDS = [explain]
