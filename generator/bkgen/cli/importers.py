"""`bkgen import …`: foreign formats into ordinary overlays."""

from __future__ import annotations

from pathlib import Path

import click

from bkgen.cli._common import handle_errors, project_root, root_option
from bkgen.errors import display_path
from bkgen.importers.bcs import import_template_set


@click.group(name="import")
def import_group() -> None:
    """Turn foreign formats into overlays (BCS template sets)."""


@import_group.command(name="bcs-template")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--env", "env", required=True, help="Environment that receives the release.")
@click.option("--release", default=None, help="Release name (default: the directory name).")
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Target namespace, once per instance (default: the namespaces variables.yaml sets).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    help="[NAMESPACE:]KEY=VALUE for one instance or, without NAMESPACE, all of them.",
)
@root_option
@handle_errors
def bcs_template(
    source: Path,
    env: str,
    release: str | None,
    namespaces: tuple[str, ...],
    assignments: tuple[str, ...],
    root: str | None,
) -> None:
    """Import the BCS template set in SOURCE (directory or file) into ENV.

    Manifests are copied as written; {{KEY}} variables resolve at render time per
    instance (one per namespace). Nothing is written unless every instance renders.
    """
    base = project_root(root)
    result = import_template_set(base, source, env, release, namespaces, assignments)
    click.echo(
        f"{display_path(result.directory, base)}/: {len(result.manifests)} manifests, "
        f"{len(result.instances)} instances ({', '.join(result.instances)})"
    )
    for key, scope in result.variables:
        click.echo(f"  variable {key:<26} {scope}")
    for note in result.notes:
        click.echo(f"note: {note}")


COMMANDS = [import_group]
