"""`bkgen workflows list|show|submit|fleet`: the imperative steps, by hand when needed."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bkgen.cli._common import env_names, handle_errors, output_option, project_root, root_option
from bkgen.errors import UsageError

# Hera (the steps, its service client: ~80 MB of models) is imported by the commands that
# run, never at start: `bkgen --help` must not pay for it.
if TYPE_CHECKING:
    from bkgen.overlay.load import Environment
    from bkgen.workflows import StepSpec

DESCRIPTION_WIDTH = 90


def _documents(docs: list[dict[str, Any]], output: str) -> str:
    """Manifests as a YAML stream, or one JSON list."""
    from bkgen.yamlio import dump

    if output == "json":
        return json.dumps(docs, indent=2) + "\n"
    return "".join(f"---\n{dump(d)}" for d in docs)


def _spec(env: Environment, step: str) -> StepSpec:
    from bkgen.pipeline import step_spec
    from bkgen.workflows import StepSpec, list_steps

    release = env.catalog.releases.get(step)
    if release is not None and release.workflow:
        return step_spec(env, release)
    module = step.replace("-", "_")
    if module not in list_steps(env.root):
        raise UsageError(f"no workflow step '{step}' (see `bkgen workflows list`)")
    namespace = str(env.values.values.get("namespace", "blueking"))
    return StepSpec(step, module, {}, namespace, (), "base")


@click.group()
def workflows() -> None:
    """The runbook's imperative steps as Argo Workflows (built with Hera in argo/)."""


@workflows.command(name="list")
@click.argument("env", default="default")
@output_option(["text", "json"], "text")
@root_option
@handle_errors
def list_command(env: str, output: str, root: str | None) -> None:
    """Steps of ENV in sync order, then argo/ modules not wired into the catalog."""
    from bkgen.overlay.load import load_environment
    from bkgen.workflows import list_steps, load_step

    environment = load_environment(project_root(root), env)
    rows: list[dict[str, Any]] = []
    for release in environment.plan.releases:
        if not release.workflow:
            continue
        text = " ".join(str(load_step(environment.root, release.workflow).DESCRIPTION).split())
        rows.append(
            {
                "wave": environment.plan.waves[release.name],
                "step": release.name,
                "module": release.workflow,
                "description": text,
            }
        )
    for module in list_steps(environment.root):
        if not any(r.workflow == module for r in environment.catalog.releases.values()):
            rows.append(
                {
                    "wave": None,
                    "step": module.replace("_", "-"),
                    "module": module,
                    "description": "(not wired; submit by hand)",
                }
            )
    if output == "json":
        click.echo(json.dumps({"steps": rows}, indent=2))
        return
    click.echo(f"{'WAVE':>4}  {'STEP':<26} {'MODULE':<24} DESCRIPTION")
    for row in rows:
        # cut at a word, marked, never mid-word; -o json has the whole text
        shown = textwrap.shorten(
            row["description"], DESCRIPTION_WIDTH, placeholder=" …", break_on_hyphens=False
        )
        wave = "-" if row["wave"] is None else row["wave"]
        click.echo(f"{wave:>4}  {row['step']:<26} {row['module']:<24} {shown}")


@workflows.command()
@click.argument("env")
@click.argument("step")
@output_option(["yaml", "json"], "yaml", "Manifest format.")
@root_option
@handle_errors
def show(env: str, step: str, output: str, root: str | None) -> None:
    """The manifests of STEP for ENV: RBAC, WorkflowTemplate and the Workflow."""
    from bkgen.overlay.load import load_environment
    from bkgen.pipeline import step_facts
    from bkgen.workflows import render_step

    environment = load_environment(project_root(root), env)
    docs = render_step(
        environment.root,
        _spec(environment, step),
        environment.values.values,
        env,
        step_facts(environment),
    )
    click.echo(_documents(docs, output), nl=False)


@workflows.command(name="submit")
@click.argument("env")
@click.argument("step")
@click.option(
    "-s",
    "--argo-server",
    "--host",
    "host",
    envvar="ARGO_SERVER",
    required=True,
    help="Argo server host:port ($ARGO_SERVER), as the argo CLI takes it.",
)
@click.option(
    "--secure/--no-secure",
    envvar="ARGO_SECURE",
    default=True,
    show_default=True,
    help="https ($ARGO_SECURE).",
)
@click.option(
    "-k",
    "--insecure-skip-verify",
    envvar="ARGO_INSECURE_SKIP_VERIFY",
    is_flag=True,
    help="Do not verify the server's TLS certificate ($ARGO_INSECURE_SKIP_VERIFY).",
)
@click.option(
    "--argo-base-href",
    "base_href",
    envvar="ARGO_BASE_HREF",
    default="",
    help="Path the server is mounted under ($ARGO_BASE_HREF).",
)
@click.option(
    "--argo-http1",
    envvar="ARGO_HTTP1",
    is_flag=True,
    hidden=True,
    expose_value=False,
    help="Accepted for the argo CLI's sake: bkgen always uses the HTTP API.",
)
@click.option("--token", envvar="ARGO_TOKEN", default=None, help="Bearer token ($ARGO_TOKEN).")
@click.option(
    "-n",
    "--namespace",
    envvar="ARGO_NAMESPACE",
    default=None,
    help="Namespace ($ARGO_NAMESPACE; default: the step's).",
)
@root_option
@handle_errors
def submit_command(
    env: str,
    step: str,
    host: str,
    secure: bool,
    insecure_skip_verify: bool,
    base_href: str,
    token: str | None,
    namespace: str | None,
    root: str | None,
) -> None:
    """Run STEP of ENV now, as a one-off Workflow on an Argo Workflows server."""
    from bkgen.overlay.load import load_environment
    from bkgen.pipeline import step_facts
    from bkgen.workflows import render_step
    from bkgen.workflows.submit import Server, server_url, standalone, submit

    url = server_url(host, secure, base_href)

    environment = load_environment(project_root(root), env)
    spec = _spec(environment, step)
    docs = render_step(
        environment.root, spec, environment.values.values, env, step_facts(environment)
    )
    template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
    target = namespace or spec.namespace
    name = submit(
        Server(url, token, target, not insecure_skip_verify), standalone(template, target)
    )
    click.echo(f"submitted {target}/{name}")


@workflows.command()
@click.argument("envs", nargs=-1)
@click.option("--all", "all_envs", is_flag=True, help="Every environment in overlays/.")
@click.option("--repo", required=True, help="Git URL of the repository holding overlays/.")
@click.option("--revision", default="main", show_default=True)
@click.option("--deploy-repo", required=True, help="Git URL Argo CD reads (bkgen publish --repo).")
@click.option("--deploy-branch", default="main", show_default=True)
@click.option(
    "--registry",
    default=None,
    help="Registry prefix holding the bkgen image (the cluster's own): <registry>/bkgen:<version>.",
)
@click.option("--image", default=None, help="The bkgen image, pinned (tag or digest).")
@click.option(
    "--shards",
    type=click.IntRange(0, 10000),
    default=0,
    help="Pods the environments are grouped into  [default: one per --parallelism].",
)
@click.option("--parallelism", type=click.IntRange(1, 256), default=4, show_default=True)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="Retries of a shard whose pod erred or whose git transport failed.",
)
@click.option("--namespace", default="argo", show_default=True)
@click.option(
    "--git-token-secret",
    default=None,
    help="Secret with `token` (and optional `username`) for HTTPS git.",
)
@click.option(
    "--git-ssh-secret",
    default=None,
    help="Secret with `ssh-privatekey` and `known_hosts` for SSH git.",
)
@click.option(
    "--output-file",
    "output_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the Workflow here instead of stdout.",
)
@output_option(["yaml", "json"], "yaml", "Manifest format.")
@root_option
@handle_errors
def fleet(
    envs: tuple[str, ...],
    all_envs: bool,
    repo: str,
    revision: str,
    deploy_repo: str,
    deploy_branch: str,
    registry: str | None,
    image: str | None,
    shards: int,
    parallelism: int,
    retries: int,
    namespace: str,
    git_token_secret: str | None,
    git_ssh_secret: str | None,
    output_file: str | None,
    output: str,
    root: str | None,
) -> None:
    """A Workflow publishing ENVS from parallel pods of the bkgen image (docs/fleet.md)."""
    from bkgen.workflows.fleet import FleetSpec, default_image, fleet_manifests
    from bkgen.write.atomic_file import replace_file

    base = project_root(root)
    names = env_names(base, envs, all_envs)
    if image is None:
        if registry is None:
            raise UsageError(
                "name the registry holding the bkgen image (--registry) or the image (--image)"
            )
        image = default_image(registry)
    spec = FleetSpec(
        envs=tuple(names),
        repo=repo,
        revision=revision,
        deploy_repo=deploy_repo,
        image=image,
        deploy_branch=deploy_branch,
        shards=shards,
        parallelism=parallelism,
        retries=retries,
        namespace=namespace,
        git_token_secret=git_token_secret,
        git_ssh_secret=git_ssh_secret,
    )
    text = _documents(list(fleet_manifests(base, spec)), output)
    if output_file:
        replace_file(Path(output_file), text.encode())
        click.echo(f"wrote {output_file}")
    else:
        click.echo(text, nl=False)


COMMANDS = [workflows]
