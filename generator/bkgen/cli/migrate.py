"""`bkgen migrate-apis`: move manifests and templates off removed apiVersions."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bkgen.cli._common import exit_codes, exit_with, handle_errors, project_root, root_option
from bkgen.errors import EXIT_FAILURE, UsageError, display_path
from bkgen.errors.suggest import did_you_mean

if TYPE_CHECKING:
    from bkgen.migrate import FileResult


def _targets(base: Path, names: tuple[str, ...]) -> tuple[list[Path], str | None]:
    """Paths to scan, and the kube version of the environment when one was named."""
    from bkgen.overlay.load import load_environment
    from bkgen.overlay.names import list_environments
    from bkgen.overlay.templatesets import SETS_DIR

    paths: list[Path] = []
    version = None
    envs = list_environments(base)
    for name in names or tuple(envs):
        if name in envs and not Path(name).exists():
            env = load_environment(base, name)
            version = version or env.settings.kube_version
            paths.append(env.env_dir / SETS_DIR)
        elif Path(name).exists():
            paths.append(Path(name))
        else:
            raise UsageError(
                f"no environment or path '{name}'",
                hint=did_you_mean(name, envs, f"environments: {', '.join(envs)}"),
            )
    return paths, version


def _diff(result: FileResult, base: Path) -> str:
    shown = display_path(result.path, base)
    return "".join(
        difflib.unified_diff(
            result.original.splitlines(keepends=True),
            result.migrated.splitlines(keepends=True),
            fromfile=f"a/{shown}",
            tofile=f"b/{shown}",
        )
    )


@click.command(
    name="migrate-apis", epilog=exit_codes("something would change, or cannot be converted")
)
@click.argument("targets", nargs=-1, metavar="[ENV|PATH]...")
@click.option("--to", "to", default=None, help="Target Kubernetes, e.g. 1.22 (default: env's).")
@click.option("--write", is_flag=True, help="Rewrite the files (default: print a diff).")
@root_option
@handle_errors
def migrate_apis(targets: tuple[str, ...], to: str | None, write: bool, root: str | None) -> None:
    """Rewrite removed apiVersions in ENVs' template sets or in PATHs.

    Without --write prints a unified diff and exits 1 when something would change.
    Objects that cannot be converted safely are listed and left as they are (exit 1).
    """
    from bkgen.kube.versions import normalize_version
    from bkgen.migrate import manifest_files, migrate_files
    from bkgen.write.atomic_file import replace_file

    base = project_root(root)
    paths, env_version = _targets(base, targets)
    version = normalize_version(to or env_version or "1.23")
    minor = int(version.split(".")[1])
    results = migrate_files(manifest_files(paths), minor)
    changed = [r for r in results if r.changed]
    for result in changed:
        if write:
            replace_file(result.path, result.migrated.encode())  # a user's file: never half
        else:
            click.echo(_diff(result, base), nl=False)
    for result in results:
        shown = display_path(result.path, base)
        for change in result.changes:
            notes = f" ({'; '.join(change.notes)})" if change.notes else ""
            click.echo(
                f"{shown}:{change.line}: {change.what} {change.old} -> {change.new}{notes}",
                err=True,
            )
        for refusal in result.refusals:
            click.echo(
                f"{shown}:{refusal.line}: not converted: {refusal.what} {refusal.api}: "
                f"{refusal.reason}",
                err=True,
            )
    refused = sum(len(r.refusals) for r in results)
    moved = sum(len(r.changes) for r in results)
    verb = "migrated" if write else "to migrate"
    click.echo(
        f"Kubernetes {version}: {len(results)} files, {moved} objects {verb} in "
        f"{len(changed)} files, {refused} not convertible",
        err=True,
    )
    sys.stdout.flush()
    if refused or (changed and not write):
        exit_with(EXIT_FAILURE)


COMMANDS = [migrate_apis]
