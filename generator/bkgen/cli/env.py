"""`bkgen env new`: create an environment that renders and validates at once."""

from __future__ import annotations

import click

from bkgen.cli._common import handle_errors, project_root, root_option


@click.group(name="env")
def env_group() -> None:
    """Environments under overlays/."""


@env_group.command(name="new")
@click.argument("name")
@click.option("--from", "source", default=None, help="Copy this environment (not its charts/).")
@click.option("--repo-url", default=None, help="Git URL Argo CD reads (default: an env's).")
@click.option(
    "--domain",
    default=None,
    help="bkDomain and bkMainSiteDomain in custom.yaml (default: the copied env's, or "
    "bkce7.bktencent.com).",
)
@click.option(
    "--description", default=None, help="env.yaml description (default: the copied one, or NAME)."
)
@root_option
@handle_errors
def new(
    name: str,
    source: str | None,
    repo_url: str | None,
    domain: str | None,
    description: str | None,
    root: str | None,
) -> None:
    """Write overlays/NAME (env.yaml, custom.yaml, versions.yaml); refuses an existing NAME."""
    from bkgen.overlay.new_env import create_environment

    base = project_root(root)
    created = create_environment(
        base, name, source, repo_url, domain=domain, description=description
    )
    for path in created.files:
        click.echo(f"wrote {path}")
    click.echo(f"next: bkgen render {name} && bkgen validate {name}")


COMMANDS = [env_group]
