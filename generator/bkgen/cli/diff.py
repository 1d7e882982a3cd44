"""`bkgen diff` and `bkgen check`: what changes in the rendered manifests."""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bkgen.cli._common import (
    HUMAN,
    check_envs,
    exit_codes,
    exit_with,
    handle_errors,
    output_option,
    project_root,
    root_option,
)
from bkgen.diff import MARKDOWN_LIMIT
from bkgen.errors import EXIT_FAILURE, EXIT_OK, UsageError, display_path

if TYPE_CHECKING:
    from bkgen.diff.compare import TreeDiff
    from bkgen.diff.formats import DiffReport, Renderer


def _formats() -> list[str]:
    from bkgen.diff.formats import RENDERERS

    return sorted(RENDERERS)


def _renderer(output: str) -> Renderer:
    from bkgen.diff.formats import RENDERERS

    return RENDERERS[output]


def _colour(output: str) -> bool:
    return output == HUMAN and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(report: DiffReport, output: str, output_file: str | None, limit: int) -> None:
    """Print the report; the uncut one goes to --output-file (the CI artifact)."""
    from bkgen.diff.formats import RenderOptions

    shown = ""
    if output_file:
        full = _renderer(output)(report, RenderOptions(limit=10**12))
        try:
            Path(output_file).write_text(full, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write {output_file}: {err.strerror}") from None
        shown = display_path(output_file)
    options = RenderOptions(colour=_colour(output), limit=limit, full_report=shown)
    click.echo(_renderer(output)(report, options), nl=False)


@click.command(epilog=exit_codes("the trees differ"))
@click.argument("args", nargs=-1, metavar="[ENV]... | DIR_A DIR_B")
@click.option("--all", "all_envs", is_flag=True, help="Every environment (the default).")
@click.option(
    "--envs",
    "pair",
    nargs=2,
    default=None,
    metavar="A B",
    help="Compare two environments' rendered trees, Applications matched by release.",
)
@click.option("--base", default=None, help="Base git ref (default: merge base, as a PR would).")
@click.option("--head", default=None, help="Head git ref (default: the working tree).")
@output_option(_formats, HUMAN)
@click.option(
    "--ignore", multiple=True, help="Field path glob to ignore (counted), e.g. 'metadata.labels.*'."
)
@click.option(
    "--no-default-ignore", is_flag=True, help="Show helm.sh/chart labels, checksum/* annotations."
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the full, uncut report here (CI artifact).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(2_000, None),
    default=MARKDOWN_LIMIT,
    show_default=True,
    help="Markdown size budget (GitHub comments stop at 65,536).",
)
@root_option
@handle_errors
def diff(
    args: tuple[str, ...],
    all_envs: bool,
    pair: tuple[str, str] | None,
    base: str | None,
    head: str | None,
    output: str,
    ignore: tuple[str, ...],
    no_default_ignore: bool,
    output_file: str | None,
    max_chars: int,
    root: str | None,
) -> None:
    """Semantic diff of rendered manifests, per environment and Application.

    `bkgen diff [ENV...]` compares rendered/ENV between --base and --head (git refs; head
    defaults to the working tree; default: every environment). `bkgen diff DIR_A DIR_B`
    compares two directories of manifests; `bkgen diff --envs A B` two environments.
    """
    from bkgen.diff.sources import compare_dirs, compare_envs, compare_refs

    if pair:
        if args or base or all_envs:
            raise UsageError("--envs A B compares two environments: no other ENV, --base or --all")
        repo = project_root(root)
        first, second = check_envs(repo, pair)
        report = compare_envs(repo, first, second, head, ignore, not no_default_ignore)
    elif len(args) == 2 and all(Path(a).is_dir() for a in args):
        if base or head or all_envs:
            raise UsageError("--base/--head/--all compare environments, not directories")
        report = compare_dirs(Path(args[0]), Path(args[1]), ignore, not no_default_ignore)
    else:
        repo = project_root(root)
        if all_envs and args:
            raise UsageError("give environment names or --all, not both")
        names = check_envs(repo, args) if args else []
        report = compare_refs(repo, names, base, head, ignore, not no_default_ignore)
    _emit(report, output, output_file, max_chars)
    exit_with(EXIT_OK if report.empty else EXIT_FAILURE)


@click.command(epilog=exit_codes("rendered/ is stale"))
@click.argument("envs", nargs=-1)
@output_option(_formats, HUMAN)
@click.option(
    "--trusted",
    "--steps-from",
    "steps_ref",
    default=None,
    metavar="REF",
    help="Take everything that governs the checks (argo/ steps, policy, env.yaml "
    "validation) from this trusted git ref (see bkgen render).",
)
@root_option
@handle_errors
def check(envs: tuple[str, ...], output: str, steps_ref: str | None, root: str | None) -> None:
    """Fail when committed rendered/ differs from a fresh render of overlays/.

    Someone edited rendered files by hand, or forgot to run `bkgen render`.
    Default: every environment. With `-o json` stdout is always one JSON document (the
    diff of the stale environments, plus which were up to date), the status lines go to
    stderr.
    """
    from bkgen.overlay.names import list_environments, strays
    from bkgen.render.stamp import fresh as unchanged

    repo = project_root(root)
    names = check_envs(repo, envs) if envs else list_environments(repo)
    as_json = output == "json"  # stdout stays one parseable document
    gone = [] if envs else strays(repo)
    for stray in gone:
        click.echo(f"rendered/{stray}: no overlays/{stray} (remove it)", err=as_json)
    fresh_envs: list[str] = []
    results: list[TreeDiff] = []
    # Nothing it reads changed since its tree was rendered or checked: up to date
    # (`render.stamp`); the others, and every env under --trusted, are rendered afresh.
    if steps_ref:
        _check_rendering(repo, names, steps_ref, as_json, fresh_envs, results)
    else:
        for name in names:  # in order, each as soon as it is known
            if unchanged(repo, name) is not None:
                click.echo(f"rendered/{name}: up to date", err=as_json)
                fresh_envs.append(name)
            else:
                _check_rendering(repo, [name], None, as_json, fresh_envs, results)
    _report_check(output, as_json, results, fresh_envs, gone)


def _check_rendering(
    repo: Path,
    todo: list[str],
    steps_ref: str | None,
    as_json: bool,
    fresh_envs: list[str],
    results: list[TreeDiff],
) -> None:
    from bkgen.workflows import ahead

    ahead.start()  # Hera loads in its own process while the pipeline does (`workflows.ahead`)
    from bkgen.diff.sources import freshness
    from bkgen.workflows.trusted import steps_at

    with ExitStack() as trusted:
        steps = trusted.enter_context(steps_at(repo, steps_ref)) if steps_ref else None
        with closing(freshness(repo, todo, steps)) as checked:
            for fresh in checked:
                if fresh.diff is None:
                    click.echo(f"rendered/{fresh.env}: up to date", err=as_json)
                    fresh_envs.append(fresh.env)
                    continue
                changed = fresh.changed
                click.echo(
                    f"rendered/{fresh.env}: {len(changed)} file(s) differ from a fresh render: "
                    f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}",
                    err=as_json,
                )
                results.append(fresh.diff)


def _report_check(
    output: str, as_json: bool, results: list[TreeDiff], fresh_envs: list[str], gone: list[str]
) -> None:
    from bkgen.diff.formats import DiffReport, RenderOptions

    stale = bool(results or gone)
    report = DiffReport(results, "committed rendered/ -> a fresh render of overlays/")
    if as_json:
        document = json.loads(_renderer(output)(report, RenderOptions()))
        document["upToDate"] = fresh_envs
        document["stale"] = [d.env for d in results]
        document["strays"] = [f"rendered/{name}" for name in gone]
        click.echo(json.dumps(document, indent=2, sort_keys=True))
    elif results:  # one report for every stale environment
        click.echo(_renderer(output)(report, RenderOptions(colour=_colour(output))), nl=False)
    if stale:
        click.echo("run `bkgen render --all` and commit rendered/", err=True)
    exit_with(EXIT_FAILURE if stale else EXIT_OK)


COMMANDS = [diff, check]
