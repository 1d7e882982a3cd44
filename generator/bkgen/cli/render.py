"""`bkgen render`: overlays -> rendered/<env>/ (validated, atomic)."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from typing import TYPE_CHECKING

import click

from bkgen.cli._common import env_names, handle_errors, output_option, project_root, root_option

if TYPE_CHECKING:
    from bkgen.render import RenderSummary


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
@click.option(
    "--trusted",
    "--steps-from",
    "steps_ref",
    default=None,
    metavar="REF",
    help="Take everything that governs the checks from this trusted git ref, not the "
    "working tree: the argo/ steps (no Python a pull request brings is run), "
    "overlays/base/policy.yaml and each env.yaml's validation block.",
)
@root_option
@handle_errors
def render(
    envs: tuple[str, ...],
    all_envs: bool,
    jobs: int,
    output: str,
    quiet: bool,
    steps_ref: str | None,
    root: str | None,
) -> None:
    """Render ENVS (default: `default`) into rendered/<env>/.

    Each release is rendered from its templates, locally with Helm when its chart
    is in the env's charts directory, or left for Argo CD to render (helm-argocd).
    The tree is validated before it replaces the previous one.
    """
    from bkgen.render import NOT_PULLED
    from bkgen.render.stamp import fresh

    base = project_root(root)
    names = env_names(base, envs, all_envs)
    show = None if quiet or output == "json" or jobs > 1 else _progress
    # Nothing an environment reads has changed since its tree was rendered: that tree is
    # the render (`render.stamp`); a --trusted render always runs (its copy is new).
    done = {} if steps_ref else {n: s for n in names if (s := fresh(base, n)) is not None}
    todo = [n for n in names if n not in done]
    if show is not None:
        for name in done:
            click.echo(f"  {name}: nothing it reads changed since its last render", err=True)
    if todo:
        if jobs == 1 or len(todo) == 1:  # rendered in this process: Hera loads beside it
            from bkgen.workflows import ahead

            ahead.start()
        from bkgen.pipeline import render_envs
        from bkgen.workflows.trusted import steps_at

        with steps_at(base, steps_ref) if steps_ref else nullcontext() as steps:
            made = render_envs(base, todo, jobs=jobs, progress=show, steps=steps)
        done.update((s.env, s) for s in made)
    summaries = [done[n] for n in names]
    if output == "json":
        click.echo(json.dumps([_as_json(s) for s in summaries], indent=2, sort_keys=True))
        return
    for summary in summaries:
        for warning in summary.warnings:
            click.echo(f"bkgen: {warning}", err=True)
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
        for line in _grouped_notes(summary.notes):
            click.echo(f"  {line}")
    sys.stdout.flush()


def _grouped_notes(notes: tuple[tuple[str, str], ...]) -> list[str]:
    """One line per kind of note: 27 charts with the same dropped hook are one line."""
    from bkgen.render import NOT_PULLED

    groups: dict[str, list[str]] = {}
    for release, note in notes:
        if note.startswith(NOT_PULLED):
            continue
        subject, _, what = note.partition(": ")
        key = what if "/" in subject and what else note
        groups.setdefault(key, []).append(release if key == note else f"{release} {subject}")
    lines = []
    for what, where in groups.items():
        if len(where) == 1:
            lines.append(f"{where[0]}: {what}")
        else:
            lines.append(f"{what}: {len(where)} objects ({', '.join(where)})")
    return lines


def _as_json(summary: RenderSummary) -> dict[str, object]:
    waves = dict(summary.waves)
    return {
        "env": summary.env,
        "files": summary.files,
        "inputDigest": summary.input_digest,
        "warnings": list(summary.warnings),
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
