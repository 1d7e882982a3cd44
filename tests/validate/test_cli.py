"""`bkgen validate`: targets, output formats, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli

BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n"
WARN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: "x/y:1", resources: {requests: {cpu: 1m}, limits: {cpu: 1m}}}]
"""


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "-j", "1", *args], input=stdin)
    return result.exit_code, result.output


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return path


def test_exit_codes_follow_fail_on(tmp_path: Path, bad: Path) -> None:
    assert run(str(bad))[0] == 1
    warn = tmp_path / "warn" / "w.yaml"
    warn.parent.mkdir()
    warn.write_text(WARN)
    assert run(str(warn))[0] == 0
    assert run(str(warn), "--fail-on", "warning")[0] == 1
    assert run(str(tmp_path / "missing.yaml"))[0] == 2
    assert run()[0] == 2


def test_text_output_groups_by_file(bad: Path) -> None:
    _, out = run(str(bad))
    lines = out.splitlines()
    assert lines[0].endswith("bad.yaml")
    assert lines[1].startswith("  3:") and "[names] ConfigMap/Bad_Name" in lines[1]
    assert lines[-1].startswith("1 files, 1 resources: 1 errors")
    assert "\033[" not in out  # no colour when not a terminal


def test_json_junit_sarif_tap(bad: Path) -> None:
    data = json.loads(run(str(bad), "-o", "json")[1])
    assert data["summary"]["error"] == 1 and data["findings"][0]["rule"] == "names"
    root = ET.fromstring(run(str(bad), "-o", "junit")[1])
    assert root.attrib["failures"] == "1" and root.find(".//failure") is not None
    sarif = json.loads(run(str(bad), "-o", "sarif")[1])
    result = sarif["runs"][0]["results"][0]
    assert sarif["version"] == "2.1.0" and result["ruleId"] == "names"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    tap = run(str(bad), "-o", "tap")[1].splitlines()
    assert tap[:2] == ["TAP version 13", "1..1"] and tap[2].startswith("not ok 1 - ")


def test_stdin_and_summary() -> None:
    code, out = run("-", "--summary", stdin=BAD)
    assert code == 1 and out == "1 files, 1 resources: 1 errors, 0 warnings, 0 info, 0 suppressed\n"


def test_environment_target_uses_env_settings(repo_root: Path) -> None:
    code, out = run("default", "--root", str(repo_root))
    assert code == 0, out
    assert out.splitlines()[-1].endswith("0 errors, 0 warnings, 0 info, 0 suppressed")
    assert run("nosuchenv", "--root", str(repo_root))[0] == 2


def test_kubeconform_engine_without_binary_is_usage_error(bad: Path) -> None:
    import shutil

    if shutil.which("kubeconform"):
        pytest.skip("kubeconform present: the engine path is exercised for real elsewhere")
    code, out = run(str(bad), "--engine", "kubeconform")
    assert code == 2 and "kubeconform is not on PATH" in out


def test_no_traceback_for_garbage(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_bytes(b"\xff\xfe\x00garbage: [")
    done = subprocess.run(
        [sys.executable, "-m", "bkgen", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "binary file, not YAML" in done.stdout


def test_rule_lists_may_have_spaces_after_commas(tmp_path: Path) -> None:
    doc = tmp_path / "d.yaml"
    doc.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: 1}\n")
    result = CliRunner().invoke(cli, ["validate", str(doc), "--select", "schema, yaml"])
    assert result.exit_code == 1 and "[schema]" in result.output
