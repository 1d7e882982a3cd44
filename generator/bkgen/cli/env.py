"""`bkgen env new`: create an environment that renders and validates at once."""

from __future__ import annotations

import click

from bkgen.cli._common import handle_errors, project_root, root_option
from bkgen.overlay.new_env import create_environment


@click.group(name="env")
def env_group() -> None:
    """Environments under overlays/."""


@env_group.command(name="new")
@click.argument("name")
@click.option("--from", "source", default=None, help="Copy this environment (not its charts/).")
@click.option("--repo-url", default=None, help="Git URL Argo CD reads (default: an env's).")
@click.option("--domain", default="bkce7.bktencent.com", show_default=True)
@root_option
@handle_errors
def new(name: str, source: str | None, repo_url: str | None, domain: str, root: str | None) -> None:
    """Write overlays/NAME (env.yaml, custom.yaml, versions.yaml); refuses an existing NAME."""
    base = project_root(root)
    created = create_environment(base, name, source, repo_url, domain)
    for path in created.files:
        click.echo(f"wrote {path}")
    click.echo(f"next: bkgen render {name} && bkgen validate {name}")


COMMANDS = [env_group]
