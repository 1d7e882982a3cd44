"""`bkgen import …`: foreign formats into ordinary overlays."""

from __future__ import annotations

from pathlib import Path

import click

from bkgen.cli._common import env_first, handle_errors, output_option, project_root, root_option
from bkgen.errors import UsageError, display_path

_DEPRECATED_ENV = "Deprecated spelling of the ENV argument."


def _existing(text: str, directory: bool) -> Path:
    """SOURCE/TREE as given, which must exist (a directory for a helmfile tree)."""
    path = Path(text)
    if not path.exists():
        raise UsageError(f"{text}: no such file or directory")
    if directory and not path.is_dir():
        raise UsageError(f"{text}: not a directory", hint="give the bkhelmfile blueking/ directory")
    return path


@click.group(name="import")
def import_group() -> None:
    """Turn foreign formats into overlays (helmfile trees, BCS template sets)."""


@import_group.command(name="bcs-template")
@click.argument("args", nargs=-1, metavar="ENV SOURCE")
@click.option("--env", "env_option", default=None, metavar="ENV", help=_DEPRECATED_ENV)
@click.option("--release", default=None, help="Release name (default: the directory name).")
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Target namespace, once per instance (default: the namespaces variables.yaml sets).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    help="[NAMESPACE:]KEY=VALUE for one instance or, without NAMESPACE, all of them.",
)
@root_option
@handle_errors
def bcs_template(
    args: tuple[str, ...],
    env_option: str | None,
    release: str | None,
    namespaces: tuple[str, ...],
    assignments: tuple[str, ...],
    root: str | None,
) -> None:
    """Import the BCS template set in SOURCE (directory or file) into ENV.

    Manifests are copied as written; {{KEY}} variables resolve at render time per
    instance (one per namespace). Nothing is written unless every instance renders.
    """
    from bkgen.importers.bcs import import_template_set

    env, (text,) = env_first(args, env_option, ("SOURCE",), "bkgen import bcs-template ENV SOURCE")
    assert env is not None
    source = _existing(text, directory=False)
    base = project_root(root)
    result = import_template_set(base, source, env, release, namespaces, assignments)
    click.echo(
        f"{display_path(result.directory, base)}/: {len(result.manifests)} manifests, "
        f"{len(result.instances)} instances ({', '.join(result.instances)})"
    )
    for key, scope in result.variables:
        click.echo(f"  variable {key:<26} {scope}")
    for note in result.notes:
        click.echo(f"note: {note}")


@import_group.command(name="helmfile")
@click.argument("args", nargs=-1, metavar="ENV TREE")
@click.option("--env", "env_option", default=None, metavar="ENV", help=_DEPRECATED_ENV)
@click.option(
    "--suite",
    "suites",
    multiple=True,
    default=("base",),
    show_default=True,
    help="Suites to enable, once each (the others' releases are imported switched off).",
)
@click.option(
    "--kube-version",
    default="1.20",
    show_default=True,
    help="Kubernetes version of the cluster (env.yaml kubeVersion).",
)
@click.option(
    "--bundled-versions",
    is_flag=True,
    help="Pin a release whose pinned chart the tree does not bundle to the archive it does "
    "bundle (reported per release); without it such releases stay pinned, to pull.",
)
@click.option("--dry-run", is_flag=True, help="Report only; write nothing.")
@output_option(["text", "json"], "text")
@root_option
@handle_errors
def helmfile(
    args: tuple[str, ...],
    env_option: str | None,
    suites: tuple[str, ...],
    kube_version: str,
    bundled_versions: bool,
    dry_run: bool,
    output: str,
    root: str | None,
) -> None:
    """Import the bkhelmfile tree TREE (the `blueking/` directory) as the new environment ENV.

    Releases, values templates (kept as .yaml.gotmpl), chart pins and the charts the tree
    bundles come over; every password, key and certificate key moves to the secret store
    as a secretRef declaration, and the report says how to load it. Nothing is written
    unless the new environment loads.
    """
    from bkgen.importers.helmfile import report
    from bkgen.importers.helmfile.run import import_helmfile

    env, (text,) = env_first(args, env_option, ("TREE",), "bkgen import helmfile ENV TREE")
    assert env is not None
    tree = _existing(text, directory=True)
    base = project_root(root)
    result = import_helmfile(
        base,
        tree,
        env,
        suites=suites,
        kube_version=kube_version,
        bundled_versions=bundled_versions,
        dry_run=dry_run,
    )
    shown = f"overlays/{env}/"
    text = (
        report.as_json(result, not dry_run)
        if output == "json"
        else report.as_text(result, not dry_run, shown)
    )
    click.echo(text, nl=False)


COMMANDS = [import_group]
