"""One CLI grammar: exit codes per error class for every command, -o everywhere, --debug anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli

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
    ["bump", "bk-nodeman", "2.4.4", "--env", "{env}"],
    ["migrate-apis", "{env}"],
    ["workflows", "list", "{env}"],
    ["workflows", "show", "{env}", "app-secrets"],
    ["workflows", "submit", "{env}", "app-secrets", "--host", "127.0.0.1:9"],
    ["workflows", "fleet", "{env}", "--repo", "r", "--deploy-repo", "d"],
    ["charts", "pull", "{env}"],
    ["charts", "lock", "{env}"],
    ["import", "bcs-template", "{src}", "--env", "{env}"],
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
        (["diff", "default", "--base", "HEAD"], ["terminal", "markdown", "json"]),
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
