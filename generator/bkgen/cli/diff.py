"""`bkgen diff` and `bkgen check`: what changes in the rendered manifests."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import click

from bkgen.cli._common import handle_errors, project_root, root_option
from bkgen.diff import diff_trees, load_tree
from bkgen.diff.model import Key, Resource
from bkgen.diff.renderers import RENDERERS
from bkgen.errors import UsageError
from bkgen.gitops import default_base, steps_at, tree_at
from bkgen.overlay import list_environments
from bkgen.pipeline import render_env_to


def _load(path: Path) -> dict[Key, Resource]:
    return load_tree(path) if path.is_dir() else {}


def _colour(output: str) -> bool:
    return output == "terminal" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@click.command()
@click.argument("args", nargs=-1)
@click.option("--base", default=None, help="Base git ref (default: merge base with upstream).")
@click.option("--head", default=None, help="Head git ref (default: the working tree).")
@click.option(
    "--output", "-o", type=click.Choice(sorted(RENDERERS)), default="terminal", show_default=True
)
@click.option(
    "--ignore", multiple=True, help="Field path glob to ignore, e.g. 'metadata.labels.*'."
)
@root_option
@handle_errors
def diff(
    args: tuple[str, ...],
    base: str | None,
    head: str | None,
    output: str,
    ignore: tuple[str, ...],
    root: str | None,
) -> None:
    """Semantic diff of rendered manifests.

    `bkgen diff ENV` compares rendered/ENV between --base and --head (git refs;
    head defaults to the working tree). `bkgen diff DIR_A DIR_B` compares two
    directories of manifests. Exit 0: no diff, 1: diff, 2: error.
    """
    with ExitStack() as stack:
        if len(args) == 2 and all(Path(a).is_dir() for a in args):
            old_dir, new_dir = Path(args[0]), Path(args[1])
        elif len(args) <= 1:
            repo = project_root(root)
            env = args[0] if args else "default"
            if env not in list_environments(repo):
                raise UsageError(f"unknown environment '{env}'")
            rel = f"rendered/{env}"
            old_dir = stack.enter_context(tree_at(repo, base or default_base(repo), rel))
            new_dir = stack.enter_context(tree_at(repo, head, rel)) if head else repo / rel
        else:
            raise UsageError("give an environment, or two directories")
        result = diff_trees(_load(old_dir), _load(new_dir), ignore)
    click.echo(RENDERERS[output](result, _colour(output)), nl=False)
    sys.exit(0 if result.empty else 1)


@click.command()
@click.argument("envs", nargs=-1)
@click.option(
    "--output", "-o", type=click.Choice(sorted(RENDERERS)), default="terminal", show_default=True
)
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
    names = list(envs) or known
    stale = False
    if not envs and (repo / "rendered").is_dir():
        for stray in sorted(
            p.name
            for p in (repo / "rendered").iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name not in known
        ):
            click.echo(f"rendered/{stray}: no overlays/{stray} (remove it)")
            stale = True
    workdir = Path(tempfile.mkdtemp(prefix="bkgen-check-"))
    trusted = ExitStack()
    if steps_ref:
        trusted.enter_context(steps_at(repo, steps_ref))
    try:
        for env in names:
            fresh = workdir / env
            render_env_to(repo, env, fresh)
            committed = repo / "rendered" / env
            changed = _changed_files(committed, fresh)
            if not changed:
                click.echo(f"rendered/{env}: up to date")
                continue
            stale = True
            click.echo(
                f"rendered/{env}: {len(changed)} file(s) differ from a fresh render: "
                f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}"
            )
            result = diff_trees(_load(committed), _load(fresh))
            click.echo(RENDERERS[output](result, _colour(output)), nl=False)
    finally:
        trusted.close()
        shutil.rmtree(workdir, ignore_errors=True)
    if stale:
        click.echo("run `bkgen render --all` and commit rendered/", err=True)
    sys.exit(1 if stale else 0)


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
