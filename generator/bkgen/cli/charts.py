"""`bkgen charts pull|lock`: the only commands that download charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bkgen.cli._common import env_names, handle_errors, project_root, root_option

if TYPE_CHECKING:
    from bkgen.charts.pull import EnvPull


@click.group()
def charts() -> None:
    """Pull chart archives into the cache and pin them in overlays/<env>/charts.lock."""


def _report(results: list[EnvPull]) -> None:
    for result in results:
        counts: dict[str, int] = {}
        for item in result.charts:
            counts[item.status] = counts.get(item.status, 0) + 1
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no chart releases"
        lock = result.lock.shown + (" written" if result.lock_changed else " unchanged")
        click.echo(f"{result.env}: {len(result.charts)} charts ({detail}); {lock}")


@charts.command("pull")
@click.argument("envs", nargs=-1)
@click.option("--all", "all_envs", is_flag=True, help="Every environment in overlays/.")
@root_option
@handle_errors
def pull_command(envs: tuple[str, ...], all_envs: bool, root: str | None) -> None:
    """Download what ENVS' charts.lock pins (adding missing entries); no network when cached."""
    from bkgen.charts.pull import pull

    base = project_root(root)
    names = env_names(base, envs, all_envs)
    _report(pull(base, names, relock=False))


@charts.command("lock")
@click.argument("envs", nargs=-1)
@click.option("--all", "all_envs", is_flag=True, help="Every environment in overlays/.")
@root_option
@handle_errors
def lock_command(envs: tuple[str, ...], all_envs: bool, root: str | None) -> None:
    """Resolve every chart release of ENVS at its pinned version and (re)write charts.lock."""
    from bkgen.charts.pull import pull

    base = project_root(root)
    names = env_names(base, envs, all_envs)
    _report(pull(base, names, relock=True))


COMMANDS = [charts]
