"""JUnit: a suite per environment (or file), a case per resource, passed ones included;
findings below --fail-on are reported without failing; the document keeps to the JUnit schema
Jenkins' xunit plugin (junit-10.xsd) and GitLab read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli

# junit-10.xsd, as rules: allowed attributes (required ones first), allowed children.
SCHEMA = {
    "testsuites": (set(), {"name", "time", "tests", "failures", "errors"}, {"testsuite"}),
    "testsuite": (
        {"name", "tests", "failures", "errors"},
        {
            "group",
            "time",
            "skipped",
            "timestamp",
            "hostname",
            "id",
            "package",
            "file",
            "log",
            "url",
        },
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
    ),
    "testcase": (
        {"name"},
        {"time", "classname", "group"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": (set(), {"type", "message"}, set()),
    "system-out": (set(), set(), set()),
}
TIME = r"^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$"


def check_schema(element: ET.Element) -> None:
    import re

    required, optional, children = SCHEMA[element.tag]
    assert required <= set(element.attrib), (element.tag, element.attrib)
    assert set(element.attrib) <= required | optional, (element.tag, element.attrib)
    if "time" in element.attrib:
        assert re.match(TIME, element.attrib["time"])
    for child in element:
        assert child.tag in children, (element.tag, child.tag)
        check_schema(child)


def junit(*args: str) -> ET.Element:
    result = CliRunner().invoke(cli, ["validate", *args, "-o", "junit"])
    root = ET.fromstring(result.output)
    assert root.tag == "testsuites"
    check_schema(root)
    cases = root.findall("./testsuite/testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert root.attrib["tests"] == str(len(cases)) and root.attrib["failures"] == str(len(failed))
    for suite in root.findall("testsuite"):
        own = suite.findall("testcase")
        assert suite.attrib["tests"] == str(len(own))
        assert suite.attrib["failures"] == str(sum(c.find("failure") is not None for c in own))
    return root


def test_environment_is_one_suite_with_a_case_per_resource(repo_root: Path) -> None:
    root = junit("default", "--root", str(repo_root))
    (suite,) = root.findall("testsuite")
    assert suite.attrib["name"] == "rendered/default"
    names = {c.attrib["name"] for c in suite.findall("testcase")}
    assert "Application/argocd/default-bk-mysql" in names and len(names) == 122
    assert root.attrib["failures"] == "0"


def test_warnings_fail_only_at_or_above_fail_on(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n")
    (tmp_path / "warn.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n"
        "  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n"
        "    spec:\n      containers: [{name: c, image: 'x/y:1', resources: {requests: {cpu: 1m}, limits: {cpu: 1m}}}]\n"
    )
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n"
    )
    root = junit(str(tmp_path))
    suites = {s.attrib["name"].rsplit("/", 1)[-1]: s for s in root.findall("testsuite")}
    assert set(suites) == {"ok.yaml", "warn.yaml", "bad.yaml"}
    assert suites["ok.yaml"].find("testcase").attrib["name"] == "ConfigMap/fine"  # passed, listed
    warn_case = suites["warn.yaml"].find("testcase")
    assert warn_case.find("failure") is None and "warning" in warn_case.find("system-out").text
    assert suites["bad.yaml"].find("testcase/failure").attrib["type"] == "error"
    strict = junit(str(tmp_path), "--fail-on", "warning")
    failing = {
        s.attrib["name"].rsplit("/", 1)[-1]
        for s in strict.findall("testsuite")
        if s.find("testcase/failure") is not None
    }
    assert failing == {"warn.yaml", "bad.yaml"}
