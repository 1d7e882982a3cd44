"""One CLI grammar: exit codes per error class for every command, -o everywhere, --debug anywhere.

`test_every_command_speaks_the_grammar` walks every command's --help, so a new command that
drifts (no -o, ENV not first, no exit codes, another name for the human format) fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from tests.cli.conftest import run_cli, snapshot

# Every command that takes an environment, with the rest of a valid command line.
ENV_COMMANDS = [
    ["catalog", "{env}"],
    ["graph", "{env}"],
    ["hosts", "{env}"],
    ["explain", "{env}", "global", "namespace"],
    ["render", "{env}"],
    ["validate", "{env}"],
    ["diff", "{env}"],
    ["check", "{env}"],
    ["publish", "{env}"],
    ["set", "{env}", "replicas=2"],
    ["bump", "{env}", "bk-nodeman", "2.4.4"],
    ["migrate-apis", "{env}"],
    ["workflows", "list", "{env}"],
    ["workflows", "show", "{env}", "app-secrets"],
    ["workflows", "submit", "{env}", "app-secrets", "--host", "127.0.0.1:9"],
    ["workflows", "fleet", "{env}", "--repo", "r", "--deploy-repo", "d"],
    ["charts", "pull", "{env}"],
    ["charts", "lock", "{env}"],
    ["import", "bcs-template", "{env}", "{src}"],
    ["env", "new", "x", "--from", "{env}"],
]


def invoke(root: Path, args: list[str], **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--root", str(root)], env=env or None)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ENV_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_unknown_environment_is_exit_2_one_line(
    command: list[str], repo_root: Path, tmp_path: Path
) -> None:
    src = tmp_path / "set"
    src.mkdir()
    args = [a.format(env="nosuchenv", src=src) for a in command]
    code, out, err = invoke(repo_root, args)
    assert code == 2, (args, out, err)
    assert len(err.strip().splitlines()) == 1 and "nosuchenv" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["hosts", "default", "--ip", "notanip"], "not an IP address: 'notanip'"),
        (["hosts", "default", "--ip", "10.0.0.300"], "not an IP address"),
        (["diff", "default", "--base", "nosuchref"], "unknown git ref 'nosuchref'"),
        (["diff", "default", "--head", "nosuchref"], "unknown git ref 'nosuchref'"),
        (["validate", "/no/such/file.yaml"], "no such file or directory"),
        (["migrate-apis", "/no/such/file.yaml"], "no environment or path"),
        (["explain", "default", "nosuchrelease", "x"], "unknown release"),
        (["render", "default", "--all"], "not both"),
    ],
)
def test_bad_input_is_exit_2_one_line(args: list[str], needle: str, repo_root: Path) -> None:
    code, out, err = invoke(repo_root, args)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, (out, err)


@pytest.mark.parametrize(
    "args",
    [["catalog", "-o", "xml"], ["graph", "-o", "svg"], ["diff", "--nosuchflag"], ["nosuchcommand"]],
)
def test_usage_errors_are_exit_2(args: list[str], repo_root: Path) -> None:
    assert invoke(repo_root, args)[0] == 2


def test_findings_are_exit_1_and_clean_is_exit_0(repo_root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: x\n")
    assert invoke(repo_root, ["validate", str(bad)])[0] == 1
    assert invoke(repo_root, ["validate", "default", "--summary"])[0] == 0
    assert invoke(repo_root, ["hosts", "default", "--ip", "10.0.0.10"])[0] == 0


@pytest.mark.parametrize(
    ("args", "formats"),
    [
        (["catalog", "default"], ["text", "json"]),
        (["graph", "default"], ["mermaid", "dot"]),
        (["hosts", "default"], ["hosts", "coredns", "list"]),
        (["validate", "default"], ["text", "json", "junit", "sarif", "tap"]),
        # Explicit refs: against the default base (the merge base with main) a branch that
        # changes rendered/ has differences, and diff exits 1 by design.
        (["diff", "default", "--base", "HEAD", "--head", "HEAD"], ["text", "markdown", "json"]),
        (["workflows", "list", "default"], ["text", "json"]),
        (["workflows", "show", "default", "app-secrets"], ["yaml", "json"]),
    ],
)
def test_every_data_command_takes_dash_o(
    args: list[str], formats: list[str], repo_root: Path
) -> None:
    for fmt in formats:
        code, out, err = invoke(repo_root, [*args, "-o", fmt])
        assert code == 0, (args, fmt, err)
        long_code, long_out, _ = invoke(repo_root, [*args, "--output", fmt])
        assert (long_code, long_out) == (code, out)
        if fmt == "json":
            json.loads(out)


def test_debug_anywhere_and_from_the_environment(repo_root: Path) -> None:
    for args in (
        ["--debug", "hosts", "default", "--ip", "bad"],
        ["hosts", "--debug", "default", "--ip", "bad"],
        ["hosts", "default", "--ip", "bad", "--debug"],
    ):
        result = CliRunner().invoke(cli, [*args, "--root", str(repo_root)])
        assert result.exception is not None and "not an IP address" in str(result.exception), args
    result = CliRunner().invoke(
        cli, ["hosts", "default", "--ip", "bad", "--root", str(repo_root)], env={"BKGEN_DEBUG": "1"}
    )
    assert result.exception is not None and "not an IP address" in str(result.exception)
    result = CliRunner().invoke(cli, ["hosts", "default", "--ip", "bad", "--root", str(repo_root)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)


# --- the grammar, command by command -----------------------------------------------------

# Every command, by what it prints: data (a report a reader or a program consumes: takes -o)
# or the outcome of an action (a line per file written). A new command must be placed here.
DATA = {
    "catalog",
    "graph",
    "hosts",
    "explain",
    "validate",
    "diff",
    "check",
    "render",
    "workflows list",
    "workflows show",
    "workflows fleet",
    "import helmfile",
    "plan",
}
ACTION = {
    "set",
    "bump",
    "env new",
    "publish",
    "charts pull",
    "charts lock",
    "import bcs-template",
    "migrate-apis",
    "workflows submit",
}
# Commands whose first argument is not an environment, and what it is instead.
NOT_ENV_FIRST = {"validate": "[TARGETS]...", "env new": "NAME"}


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


def help_of(command: str) -> str:
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_command_is_placed() -> None:
    assert set(commands()) == DATA | ACTION, "place a new command in DATA or ACTION"
    assert not DATA & ACTION


@pytest.mark.parametrize("command", sorted(DATA | ACTION))
def test_every_command_speaks_the_grammar(command: str) -> None:
    text = help_of(command)
    usage = " ".join(text.split("\n\n", 1)[0].split())
    positionals = usage.split("[OPTIONS]", 1)[1].split()
    assert "Exit codes: 0 success, 1 " in " ".join(text.split()), command
    if command in DATA:
        assert re.search(r"-o, --output, --format \[[a-z|]+\]", text), command
    formats = re.findall(r"--format \[([a-z|]+)\]", text)
    for choices in formats:  # one name for the human format, everywhere
        assert "terminal" not in choices.split("|"), command
    if "ENV" in usage:
        assert positionals and re.fullmatch(
            r"\[?ENVS?\]?(\.\.\.)?(\|PATH\]\.\.\.)?", positionals[0]
        ), (
            command,
            usage,
        )
    else:
        assert NOT_ENV_FIRST.get(command) == (positionals[0] if positionals else None), usage
    for line in text.splitlines():  # --env survives only as a marked alias
        if line.strip().startswith("--env "):
            assert "Deprecated" in line, (command, line)


def test_every_group_lists_its_exit_codes() -> None:
    for group in ([], ["charts"], ["env"], ["import"], ["workflows"]):
        result = CliRunner().invoke(cli, [*group, "--help"])
        assert result.exit_code == 0 and "Exit codes:" in result.stdout, group


def test_validate_names_what_its_registries_hold() -> None:
    from bkgen.cli.validate import SCHEMA_ONLY_TEXT
    from bkgen.validate import SCHEMA_ONLY
    from bkgen.validate.findings import SEVERITIES
    from bkgen.validate.formats import REPORTERS

    text = " ".join(help_of("validate").split())
    assert f"[{'|'.join(sorted(REPORTERS))}]" in text
    assert f"[{'|'.join(sorted(SEVERITIES))}]" in text
    assert ",".join(SCHEMA_ONLY) == SCHEMA_ONLY_TEXT


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "default", "--base", "HEAD", "--head", "HEAD"],
        ["check", "default"],
    ],
)
def test_terminal_is_an_alias_of_text(args: list[str], repo_root: Path) -> None:
    text = invoke(repo_root, [*args, "-o", "text"])
    assert invoke(repo_root, [*args, "-o", "terminal"]) == text
    assert invoke(repo_root, [*args, "--format", "text"]) == text
    assert text[0] == 0


def test_check_json_is_a_document_when_up_to_date(repo_root: Path) -> None:
    code, out, err = invoke(repo_root, ["check", "default", "-o", "json"])
    assert code == 0, err
    document = json.loads(out)
    assert document["upToDate"] == ["default"] and document["stale"] == []
    assert document["environments"] == [] and "rendered/default: up to date" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["diff", "--nosuchflag"], "No such option '--nosuchflag'"),
        (["catalog", "--relase", "x"], "Did you mean '--release'?"),
        (["catalog", "-o", "xml"], "'xml' is not one of json, text"),
        (["graph", "-o", "mermaidd"], "did you mean 'mermaid'?"),
        (["rendr"], "No such command 'rendr'"),
        (["explain", "default"], "Missing argument 'RELEASE'"),
        (["bump", "default"], "expected [ENV] RELEASE VERSION, got 1 argument(s)"),
    ],
)
def test_option_errors_speak_bkgen(args: list[str], needle: str, repo_root: Path) -> None:
    code, out, err = invoke(repo_root, args)
    assert code == 2 and out == "", (out, err)
    assert err.startswith("bkgen: usage error: ") and needle in err, err
    assert "(hint: " in err and len(err.strip().splitlines()) == 1 and "Usage:" not in err


def test_bump_takes_env_first_and_env_option_with_a_note(project: Path) -> None:
    versions = project / "overlays/prod/versions.yaml"
    code, out, err = run_cli(project, "bump", "prod", "bk-cmdb", "3.99.0")
    assert code == 0 and err == "", err
    positional = versions.read_bytes()
    versions.write_text("version: {}\n")
    code, out2, err = run_cli(project, "bump", "bk-cmdb", "3.99.0", "--env", "prod")
    assert code == 0 and out2 == out
    assert err == (
        "bkgen: warning: --env is deprecated; ENV is the first argument: "
        "bkgen bump [ENV] RELEASE VERSION\n"
    )
    assert versions.read_bytes() == positional


def test_bump_names_the_pin_it_overrides_and_the_check_to_come(project: Path) -> None:
    base_pins = (project / "overlays/base/versions.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(base_pins, 1) if text.strip().startswith("bk-cmdb:"))
    pin = base_pins[line - 1].split(":", 1)[1].strip().strip('"')
    before = snapshot(project)
    code, out, err = run_cli(project, "bump", "prod", "bk-cmdb", "3.99.0")
    assert code == 0, err
    assert out.splitlines() == [
        f"overlays/prod/versions.yaml: bk-cmdb {pin} (base pin at "
        f"overlays/base/versions.yaml:{line}, overridden here) -> 3.99.0",
        "note: offline, bk-cmdb 3.99.0 is not known to exist; `bkgen charts pull prod` checks it",
    ]
    changed = {k for k in snapshot(project) if snapshot(project)[k] != before.get(k)}
    assert changed == {"overlays/prod/versions.yaml"}


def test_import_takes_env_first(project: Path, tmp_path: Path) -> None:
    code, _, err = run_cli(project, "import", "bcs-template", "default", str(tmp_path / "none"))
    assert code == 2 and "none: no such file or directory" in err
    code, _, err = run_cli(project, "import", "helmfile", "x")
    assert code == 2 and "expected ENV TREE" in err and "(hint: write bkgen import helmfile" in err
    assert not (project / "overlays/x").exists()


def test_workflows_list_never_cuts_a_word(repo_root: Path) -> None:
    code, out, _ = invoke(repo_root, ["workflows", "list", "default", "-o", "json"])
    assert code == 0
    full = {row["step"]: row["description"] for row in json.loads(out)["steps"]}
    code, out, _ = invoke(repo_root, ["workflows", "list", "default"])
    assert code == 0
    for line in out.splitlines()[1:]:
        step, shown = line.split()[1], line.split(None, 3)[3]
        words = full[step].split()
        kept = shown.removesuffix(" …").split()
        assert kept == words[: len(kept)], (step, shown)  # whole words, in order
        assert shown.endswith(" …") == (len(kept) < len(words))


HEAVY = ("hera", "helm_python", "jsonschema", "jsonschema_rs")
_PROBE = """
import sys
from bkgen.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="bkgen")
except SystemExit:
    pass
sys.stderr.write("\\n".join(sorted(sys.modules)))
"""


def modules_after(*args: str) -> set[str]:
    """The modules a fresh interpreter holds after running `bkgen ARGS`."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(result.stderr.splitlines())


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["diff", "--help"]])
def test_startup_imports_no_heavy_library(args: list[str]) -> None:
    loaded = modules_after(*args)
    assert "bkgen.cli.validate" in loaded  # every command was registered
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], heavy


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_click_and_the_command_modules_only(args: list[str]) -> None:
    """No YAML or template library either, and no `importlib.metadata` (the version is a
    literal): `diff --help` may list its formats, the group's own help needs none."""
    loaded = modules_after(*args)
    outside = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names)
    assert outside - {"bkgen", "click"} == {m for m in outside if m.startswith("_")}
    assert "importlib.metadata" not in loaded


def test_the_probe_sees_a_heavy_import(repo_root: Path) -> None:
    loaded = modules_after("validate", str(repo_root / "rendered/default/argocd"), "--summary")
    assert "jsonschema" in loaded  # the command that validates does load it
