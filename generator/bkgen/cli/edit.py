"""`bkgen set` and `bkgen bump`: edit overlay files in place."""

from __future__ import annotations

import click

from bkgen.cli._common import handle_errors, project_root, root_option
from bkgen.errors import display_path
from bkgen.overlay.editing import bump as bump_version
from bkgen.overlay.editing import set_values


@click.command(name="set")
@click.argument("env")
@click.argument("assignments", nargs=-1, required=True)
@root_option
@handle_errors
def set_command(env: str, assignments: tuple[str, ...], root: str | None) -> None:
    """Set global values of ENV in its custom.yaml: KEY=VALUE (VALUE is YAML)."""
    base = project_root(root)
    path = set_values(base, env, assignments)
    click.echo(
        f"{display_path(path, base)}: set {', '.join(a.split('=', 1)[0] for a in assignments)}"
    )


@click.command()
@click.argument("release")
@click.argument("version")
@click.option("--env", default=None, help="Pin for one environment (overlays/ENV/versions.yaml).")
@root_option
@handle_errors
def bump(release: str, version: str, env: str | None, root: str | None) -> None:
    """Pin RELEASE's chart to VERSION (base versions.yaml, or ENV's with --env)."""
    base = project_root(root)
    path, previous = bump_version(base, release, version, env)
    click.echo(f"{display_path(path, base)}: {release} {previous or '(unpinned)'} -> {version}")


COMMANDS = [set_command, bump]
