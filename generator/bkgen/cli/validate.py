"""`bkgen validate`: offline schema + policy validation of any Kubernetes YAML."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bkgen.cli._common import (
    LazyChoice,
    exit_codes,
    exit_with,
    handle_errors,
    output_option,
    project_root,
    root_option,
)
from bkgen.errors import EXIT_FAILURE, EXIT_OK, UsageError
from bkgen.errors.suggest import did_you_mean

if TYPE_CHECKING:
    from bkgen.validate.findings import Report

# The validator (jsonschema, every rule) is imported when `validate` runs, not at start:
# these name what the option parser needs without it (tests/cli/test_grammar.py holds them
# to the registries).
SCHEMA_ONLY_TEXT = "input,schema,yaml"


def _reporters() -> list[str]:
    from bkgen.validate.formats import REPORTERS

    return list(REPORTERS)


def _severities() -> tuple[str, ...]:
    from bkgen.validate.findings import SEVERITIES

    return SEVERITIES


def _env_settings(root: Path, env: str, trusted: Path | None) -> dict[str, Any]:
    """Read lightly (no catalog, no values): validating a committed tree must not need them.
    Under `--trusted` the policy, the env's `validation:` block and the CRD schemas are the
    trusted ref's, never the tree's under review."""
    from bkgen.gitops.trusted import check_settings
    from bkgen.overlay.extends import settings_doc

    doc = settings_doc(root, env)  # with what it inherits (env.yaml extends:)
    settings, _ = check_settings(
        root,
        trusted or root,
        env,
        str(doc.get("kubeVersion", "1.23")),
        doc.get("validation") or {},
        str((doc.get("argocd") or {}).get("namespace", "argocd")),
    )
    return settings


def _loose_policy(base: Path | None, trusted: Path | None) -> dict[str, Any]:
    """The project's allow-lists for loose files (the trusted ref's under `--trusted`); a
    file outside any project gets none."""
    from bkgen.gitops.trusted import load_policy

    return {"allow": load_policy(trusted or base).allow} if base is not None else {}


def _env_of(path: Path, base: Path) -> str | None:
    """The environment whose rendered tree holds `path` (rendered/ENV/...), if any."""
    from bkgen.overlay.names import list_environments

    try:
        rel = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(base)))  # noqa: PTH100
    except ValueError:
        return None
    parts = rel.parts
    if len(parts) > 2 and parts[0] == "rendered" and parts[1] in list_environments(base):
        return parts[1]
    return None


def _rule_list(text: str) -> tuple[str, ...]:
    """`a, b,c` -> ("a", "b", "c"): spaces after commas are how people write lists."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _targets(
    targets: tuple[str, ...], whole_env: bool, root: str | None
) -> tuple[Path | None, dict[str, None], list[Path], bool]:
    """The project (when an env is named), the envs, the loose paths, and whether - was given."""
    from bkgen.overlay.names import list_environments

    base: Path | None = None
    envs: dict[str, None] = {}  # each environment is validated as a whole, with its settings
    loose: list[Path] = []
    stdin = False
    for target in targets:
        if target == "-":
            stdin = True
        elif not Path(target).exists() and "/" not in target:
            base = base or project_root(root)
            if target not in list_environments(base):
                known = list_environments(base)
                raise UsageError(
                    f"'{target}' is neither a file, a directory nor an environment",
                    hint=did_you_mean(target, known, f"environments: {', '.join(known)}"),
                )
            envs[target] = None
        elif whole_env and (env := _env_of(Path(target), base := base or project_root(root))):
            envs[env] = None
        elif not (whole_env and Path(target).name == "values.yaml"):
            loose.append(Path(target))
    if stdin and (loose or envs):
        raise UsageError("- (stdin) cannot be combined with other targets")
    return base, envs, loose, stdin


@click.command(epilog=exit_codes("a finding at or above --fail-on"))
@click.argument("targets", nargs=-1)
@click.option("--kube-version", default=None, help="Target Kubernetes (default: env's, or 1.23).")
@click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Reject unknown fields and duplicate keys.",
)
@click.option(
    "--schema-location",
    multiple=True,
    help="Extra schema directory or kubeconform-style path template (offline).",
)
@click.option(
    "--ignore-missing-schemas", is_flag=True, help="A kind without schema is not an error."
)
@output_option(_reporters, "text")
@click.option("--summary", is_flag=True, help="Print only the summary line (text output).")
@click.option("--fail-on", type=LazyChoice(_severities), default="error", show_default=True)
@click.option(
    "--engine", type=click.Choice(["builtin", "kubeconform"]), default="builtin", show_default=True
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(0, 64),
    default=0,
    help="Worker processes (0: one per core).",
)
@click.option(
    "--select",
    default="",
    metavar="RULE,…",
    help="Report only these checks (rule IDs; schema, yaml, input for the core checks).",
)
@click.option("--ignore", "ignore_rules", default="", metavar="RULE,…", help="Skip these checks.")
@click.option(
    "--schema-only",
    is_flag=True,
    help=f"Only parse and schema checks, the verdict kubeconform gives (= --select "
    f"{SCHEMA_ONLY_TEXT}).",
)
@click.option(
    "--whole-env",
    is_flag=True,
    help="A file under rendered/ENV/ stands for ENV's whole tree (pre-commit hook).",
)
@click.option(
    "--trusted",
    "trusted_ref",
    default=None,
    metavar="REF",
    help="Take what governs the checks from this trusted git ref, not the tree under review: "
    "overlays/base/policy.yaml, each env.yaml's validation block, schemas/crds/ (as render).",
)
@root_option
@handle_errors
def validate(
    targets: tuple[str, ...],
    kube_version: str | None,
    strict: bool,
    schema_location: tuple[str, ...],
    ignore_missing_schemas: bool,
    output: str,
    summary: bool,
    fail_on: str,
    engine: str,
    jobs: int,
    select: str,
    ignore_rules: str,
    schema_only: bool,
    whole_env: bool,
    trusted_ref: str | None,
    root: str | None,
) -> None:
    """Validate TARGETS: files, directories, an environment name, or - for stdin."""
    from bkgen.gitops.trusted import trusted_at
    from bkgen.validate import SCHEMA_ONLY, checked_ids
    from bkgen.validate.formats import REPORTERS, summary_line

    if not targets:
        raise UsageError("give files, directories, an environment name, or -")
    if schema_only and select:
        raise UsageError("--schema-only and --select choose the checks twice; give one")
    chosen = SCHEMA_ONLY if schema_only else _rule_list(select)
    ignored = _rule_list(ignore_rules)
    checked_ids(chosen, ignored)  # unknown IDs fail before any file is read
    base, envs, loose, stdin = _targets(targets, whole_env, root)
    if trusted_ref is not None and base is None:
        base = project_root(root)
    with ExitStack() as stack:
        trusted = (
            stack.enter_context(trusted_at(base, trusted_ref))
            if trusted_ref is not None and base is not None
            else None
        )
        report = _run(
            base,
            envs,
            loose,
            stdin,
            trusted,
            engine,
            kube_version,
            {
                "strict": strict,
                "schema_locations": schema_location,
                "ignore_missing_schemas": ignore_missing_schemas,
                "jobs": jobs,
                "select": chosen,
                "ignore": ignored,
            },
        )
    colour = output == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if summary and output == "text":
        click.echo(summary_line(report))
    else:
        click.echo(REPORTERS[output](report, colour, fail_on), nl=False)
    exit_with(EXIT_FAILURE if report.failed(fail_on) else EXIT_OK)


def _run(
    base: Path | None,
    envs: dict[str, None],
    loose: list[Path],
    stdin: bool,
    trusted: Path | None,
    engine: str,
    kube_version: str | None,
    options: dict[str, Any],
) -> Report:
    from bkgen.gitops.trusted import schema_root
    from bkgen.validate import ValidateSettings, validate_paths
    from bkgen.validate.findings import Report as Findings
    from bkgen.validate.kubeconform import run_kubeconform

    common: dict[str, Any] = {**options, "project_root": base}
    runs: list[tuple[list[Path], ValidateSettings]] = []
    for env in envs:
        assert base is not None
        tree = base / "rendered" / env
        if not tree.is_dir():
            raise UsageError(f"rendered/{env} does not exist; run `bkgen render {env}`")
        per_env = {**common, **_env_settings(base, env, trusted)}
        if kube_version:
            per_env["kube_version"] = kube_version
        runs.append(([tree], ValidateSettings(**per_env)))
    if loose or stdin or not runs:
        extra = _loose_policy(base, trusted) | (
            {"kube_version": kube_version} if kube_version else {}
        )
        if trusted is not None:
            extra["project_root"] = schema_root(base or trusted, trusted)
        runs.append((loose, ValidateSettings(**{**common, **extra})))
    report = Findings()
    for paths, settings in runs:
        if engine == "kubeconform":
            report.merge(run_kubeconform(paths, settings))
        else:
            report.merge(validate_paths(paths, settings, stdin=stdin))
    return report


COMMANDS = [validate]
