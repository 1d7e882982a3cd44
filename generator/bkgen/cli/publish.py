"""`bkgen publish`: render, validate, commit (and push) the rendered trees."""

from __future__ import annotations

from pathlib import Path

import click

from bkgen.cli._common import check_envs, handle_errors, project_root, root_option


@click.command()
@click.argument("envs", nargs=-1)
@click.option("--repo", default=None, help="Deploy repository (path or URL); default: this one.")
@click.option("--branch", default=None, help="Target branch (default: current / remote HEAD).")
@click.option(
    "--path",
    "target_path",
    default="rendered",
    show_default=True,
    help="Directory in the target repository holding <env>/ trees.",
)
@click.option(
    "--push/--no-push",
    default=None,
    help="Push after committing (default: yes with --repo, no for this repo).",
)
@click.option(
    "--render-for-target",
    is_flag=True,
    help="Point the Applications at --repo/--path (default: refuse when they differ).",
)
@root_option
@handle_errors
def publish(
    envs: tuple[str, ...],
    repo: str | None,
    branch: str | None,
    target_path: str,
    push: bool | None,
    render_for_target: bool,
    root: str | None,
) -> None:
    """Render + validate ENVS and commit them where Argo CD reads them.

    No commit when nothing changed (exit 0). A failure leaves the working tree
    and the branch as they were.
    """
    from bkgen.gitops.publish import publish as publish_envs

    base = project_root(root)
    names = list(envs) or ["default"]
    check_envs(base, names)
    if repo is not None and "://" not in repo and not repo.startswith("git@"):
        # a path is the user's, relative to where they stand, not to publish's clone
        repo = str(Path(repo).absolute())
    result = publish_envs(
        base,
        names,
        repo,
        branch,
        target_path,
        push=repo is not None if push is None else push,
        for_target=render_for_target,
    )
    if not result.committed:
        click.echo(result.message)
    else:
        pushed = f", pushed after {result.attempts} attempt(s)" if result.attempts else ""
        click.echo(f"{result.commit[:12]} {result.message}{pushed}")
    if result.tags:  # the content pins the child Applications read (docs/argocd.md)
        click.echo(f"content pins created: {len(result.tags)}")
        for tag in result.tags:
            click.echo(f"  {tag}")


COMMANDS = [publish]
