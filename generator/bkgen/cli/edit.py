"""`bkgen set` and `bkgen bump`: edit overlay files in place."""

from __future__ import annotations

import click

from bkgen.cli._common import env_first, handle_errors, project_root, root_option
from bkgen.errors import display_path


@click.command(name="set")
@click.argument("env")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@root_option
@handle_errors
def set_command(env: str, assignments: tuple[str, ...], root: str | None) -> None:
    """Set global values of ENV in its custom.yaml: KEY=VALUE (VALUE is YAML).

    Every value is checked against schemas/overlay/values.schema.json first: a refused one
    leaves custom.yaml byte for byte as it was.
    """
    from bkgen.overlay.editing import set_values

    base = project_root(root)
    path = set_values(base, env, assignments)
    click.echo(
        f"{display_path(path, base)}: set {', '.join(a.split('=', 1)[0] for a in assignments)}"
    )


@click.command()
@click.argument("args", nargs=-1, metavar="[ENV] RELEASE VERSION")
@click.option(
    "--env",
    "env_option",
    default=None,
    metavar="ENV",
    help="Deprecated spelling of the ENV argument.",
)
@root_option
@handle_errors
def bump(args: tuple[str, ...], env_option: str | None, root: str | None) -> None:
    """Pin RELEASE's chart to VERSION: in ENV's versions.yaml, or the base's without ENV.

    Offline, bkgen cannot know whether VERSION exists: `bkgen charts pull ENV` checks it.
    """
    from bkgen.overlay.editing import bump as bump_version

    usage = "bkgen bump [ENV] RELEASE VERSION"
    if env_option is None and len(args) == 2:
        env, (release, version) = None, args
    else:
        env, (release, version) = env_first(args, env_option, ("RELEASE", "VERSION"), usage)
    base = project_root(root)
    result = bump_version(base, release, version, env)
    before = result.previous or (
        f"{result.overrides} (base pin at {result.overrides_at}, overridden here)"
        if result.overrides
        else "(unpinned)"
    )
    click.echo(f"{display_path(result.path, base)}: {release} {before} -> {version}")
    pull = f"bkgen charts pull {env}" if env else "bkgen charts pull --all"
    click.echo(f"note: offline, {release} {version} is not known to exist; `{pull}` checks it")


COMMANDS = [set_command, bump]
