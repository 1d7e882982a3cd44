"""`bkgen diff` and `bkgen check`: what changes in the rendered manifests."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import click

from bkgen.cli._common import (
    check_envs,
    exit_with,
    handle_errors,
    output_option,
    project_root,
    root_option,
)
from bkgen.diff import diff_trees, load_tree
from bkgen.diff.config import ignore_patterns
from bkgen.diff.model import Key, Resource
from bkgen.diff.renderers import MARKDOWN_LIMIT, RENDERERS, DiffReport, RenderOptions
from bkgen.errors import EXIT_FAILURE, EXIT_OK, UsageError, display_path
from bkgen.gitops import default_base, resolve_ref, tree_at
from bkgen.overlay import list_environments
from bkgen.pipeline import render_env_to
from bkgen.workflows.trusted import steps_at


def _load(path: Path) -> dict[Key, Resource]:
    return load_tree(path) if path.is_dir() else {}


def _tree_envs(rendered: Path) -> list[str]:
    if not rendered.is_dir():
        return []
    return [p.name for p in rendered.iterdir() if p.is_dir() and not p.name.startswith(".")]


def _colour(output: str) -> bool:
    return output == "terminal" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(report: DiffReport, output: str, output_file: str | None, limit: int) -> None:
    """Print the report; the uncut one goes to --output-file (the CI artifact)."""
    shown = ""
    if output_file:
        full = RENDERERS[output](report, RenderOptions(limit=10**12))
        try:
            Path(output_file).write_text(full, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write {output_file}: {err.strerror}") from None
        shown = display_path(output_file)
    options = RenderOptions(colour=_colour(output), limit=limit, full_report=shown)
    click.echo(RENDERERS[output](report, options), nl=False)


@click.command()
@click.argument("args", nargs=-1)
@click.option("--all", "all_envs", is_flag=True, help="Every environment (the default).")
@click.option("--base", default=None, help="Base git ref (default: merge base, as a PR would).")
@click.option("--head", default=None, help="Head git ref (default: the working tree).")
@output_option(sorted(RENDERERS), "terminal")
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
    compares two directories of manifests. Exit 0: no diff, 1: diff, 2: error.
    """
    if len(args) == 2 and all(Path(a).is_dir() for a in args):
        if base or head or all_envs:
            raise UsageError("--base/--head/--all compare environments, not directories")
        dir_patterns = ignore_patterns(None, None, ignore, defaults=not no_default_ignore)
        result = diff_trees(_load(Path(args[0])), _load(Path(args[1])), dir_patterns)
        title = f"{args[0]} -> {args[1]}"
        report = DiffReport([result], title, dir_patterns)
        _emit(report, output, output_file, max_chars)
        exit_with(EXIT_OK if report.empty else EXIT_FAILURE)
    repo = project_root(root)
    if all_envs and args:
        raise UsageError("give environment names or --all, not both")
    names = check_envs(repo, args) if args else list_environments(repo)
    with ExitStack() as stack:
        base_sha, why = (resolve_ref(repo, base), "given") if base else default_base(repo)
        head_sha = resolve_ref(repo, head) if head else None
        old_root = stack.enter_context(tree_at(repo, base_sha, "rendered"))
        new_root = stack.enter_context(tree_at(repo, head_sha, "rendered")) if head_sha else None
        if not args:  # an environment added or deleted by the change is part of the review
            names = sorted(
                {*names, *_tree_envs(old_root), *_tree_envs(new_root or repo / "rendered")}
            )
        results = []
        every: dict[str, None] = {}  # each env's ignore list, all of them in the report
        for env in names:
            patterns = ignore_patterns(repo, env, ignore, defaults=not no_default_ignore)
            every.update(dict.fromkeys(patterns))
            new_dir = (new_root or repo / "rendered") / env
            results.append(diff_trees(_load(old_root / env), _load(new_dir), patterns, env=env))
    shown_base = base if base else base_sha[:12]
    title = (
        f"base {shown_base} ({base_sha[:12] if base else why}), "
        f"head {head + ' (' + head_sha[:12] + ')' if head and head_sha else 'working tree'}"
    )
    report = DiffReport(results, title, tuple(every))
    _emit(report, output, output_file, max_chars)
    exit_with(EXIT_OK if report.empty else EXIT_FAILURE)


@click.command()
@click.argument("envs", nargs=-1)
@output_option(sorted(RENDERERS), "terminal")
@click.option(
    "--steps-from",
    "steps_ref",
    default=None,
    metavar="REF",
    help="Import the argo/ workflow steps from this trusted git ref (see bkgen render).",
)
@root_option
@handle_errors
def check(envs: tuple[str, ...], output: str, steps_ref: str | None, root: str | None) -> None:
    """Fail when committed rendered/ differs from a fresh render of overlays/.

    Someone edited rendered files by hand, or forgot to run `bkgen render`.
    Default: every environment. Exit 0 up to date, 1 stale, 2 error.
    """
    repo = project_root(root)
    known = list_environments(repo)
    names = check_envs(repo, envs) if envs else known
    status_err = output == "json"  # stdout stays one parseable document
    stale = False
    if not envs and (repo / "rendered").is_dir():
        for stray in sorted(
            p.name
            for p in (repo / "rendered").iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name not in known
        ):
            click.echo(f"rendered/{stray}: no overlays/{stray} (remove it)", err=status_err)
            stale = True
    workdir = Path(tempfile.mkdtemp(prefix="bkgen-check-"))
    trusted = ExitStack()
    steps = trusted.enter_context(steps_at(repo, steps_ref)) if steps_ref else None
    results = []
    try:
        for env in names:
            fresh = workdir / env
            render_env_to(repo, env, fresh, steps=steps)
            committed = repo / "rendered" / env
            changed = _changed_files(committed, fresh)
            if not changed:
                click.echo(f"rendered/{env}: up to date", err=status_err)
                continue
            stale = True
            click.echo(
                f"rendered/{env}: {len(changed)} file(s) differ from a fresh render: "
                f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}",
                err=status_err,
            )
            results.append(diff_trees(_load(committed), _load(fresh), env=env))
    finally:
        trusted.close()
        shutil.rmtree(workdir, ignore_errors=True)
    if results:  # one report for every stale environment (one document with -o json)
        report = DiffReport(results, "committed rendered/ -> a fresh render of overlays/")
        click.echo(RENDERERS[output](report, RenderOptions(colour=_colour(output))), nl=False)
    if stale:
        click.echo("run `bkgen render --all` and commit rendered/", err=True)
    exit_with(EXIT_FAILURE if stale else EXIT_OK)


def _changed_files(committed: Path, fresh: Path) -> list[str]:
    def files(root: Path) -> dict[str, bytes]:
        if not root.is_dir():
            return {}
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    old, new = files(committed), files(fresh)
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


COMMANDS = [diff, check]
