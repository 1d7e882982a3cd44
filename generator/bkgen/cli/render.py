"""`bkgen render`: overlays -> rendered/<env>/ (validated, atomic)."""

from __future__ import annotations

import json
import sys

import click

from bkgen.cli._common import check_envs, handle_errors, output_option, project_root, root_option
from bkgen.errors import UsageError
from bkgen.overlay import list_environments
from bkgen.pipeline import RenderSummary, render_envs
from bkgen.render.helm import NOT_PULLED


def _progress(env: str, release: str, mode: str) -> None:
    click.echo(f"  {env}: {release:<26} {mode}", err=True)


@click.command()
@click.argument("envs", nargs=-1)
@click.option("--all", "all_envs", is_flag=True, help="Render every environment in overlays/.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Environments rendered in parallel processes (same output as serial).",
)
@output_option(["text", "json"], "text", "Summary format on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No per-release progress.")
@root_option
@handle_errors
def render(
    envs: tuple[str, ...], all_envs: bool, jobs: int, output: str, quiet: bool, root: str | None
) -> None:
    """Render ENVS (default: `default`) into rendered/<env>/.

    Each release is rendered from its templates, locally with Helm when its chart
    is in the env's charts directory, or left for Argo CD to render (helm-argocd).
    The tree is validated before it replaces the previous one.
    """
    base = project_root(root)
    if all_envs and envs:
        raise UsageError("give environment names or --all, not both")
    names = list_environments(base) if all_envs else check_envs(base, envs or ("default",))
    if not names:
        raise UsageError("no environments under overlays/")
    show = None if quiet or output == "json" or jobs > 1 else _progress
    summaries = render_envs(base, names, jobs=jobs, progress=show)
    if output == "json":
        click.echo(json.dumps([_as_json(s) for s in summaries], indent=2, sort_keys=True))
        return
    for summary in summaries:
        modes: dict[str, int] = {}
        for _, mode in summary.releases:
            modes[mode] = modes.get(mode, 0) + 1
        detail = ", ".join(f"{n} {m}" for m, n in sorted(modes.items()))
        click.echo(
            f"rendered/{summary.env}: {len(summary.releases)} releases ({detail}), "
            f"{summary.files} files, input {summary.input_digest[:12]}"
        )
        missing = [r for r, note in summary.notes if note.startswith(NOT_PULLED)]
        if missing:
            click.echo(
                f"  {len(missing)} chart(s) not in charts/ or the chart cache, left to Argo CD "
                f"(helm-argocd); `bkgen charts pull {summary.env}` renders them here"
            )
        for release, note in summary.notes:
            if not note.startswith(NOT_PULLED):
                click.echo(f"  {release}: {note}")
    sys.stdout.flush()


def _as_json(summary: RenderSummary) -> dict[str, object]:
    waves = dict(summary.waves)
    return {
        "env": summary.env,
        "files": summary.files,
        "inputDigest": summary.input_digest,
        "releases": [
            {
                "name": name,
                "mode": mode,
                "wave": waves[name],
                "notes": [note for release, note in summary.notes if release == name],
            }
            for name, mode in summary.releases
        ],
    }


COMMANDS = [render]
