"""Output formats for a validation `Report`, selected by name (`--output`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import groupby
from xml.sax.saxutils import escape, quoteattr

from bkgen import __version__
from bkgen.validate.findings import Finding, Report
from bkgen.validate.rules import BY_ID

Renderer = Callable[[Report, bool, str], str]  # report, colour, fail_on
REPORTERS: dict[str, Renderer] = {}

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


def reporter(name: str) -> Callable[[Renderer], Renderer]:
    def register(func: Renderer) -> Renderer:
        REPORTERS[name] = func
        return func

    return register


def _where(finding: Finding) -> str:
    parts = [finding.path]
    if finding.line is not None:
        parts.append(str(finding.line))
        if finding.column is not None:
            parts.append(str(finding.column))
    return ":".join(parts)


def summary_line(report: Report) -> str:
    counts = report.counts()
    return (
        f"{report.files} files, {report.resources} resources: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info, "
        f"{len(report.suppressed)} suppressed"
    )


@reporter("text")
def text(report: Report, colour: bool, fail_on: str = "error") -> str:
    lines: list[str] = []
    for path, group in groupby(report.findings, key=lambda f: f.path):
        lines.append(path)
        for f in group:
            severity = f"{_COLOURS[f.severity]}{f.severity}{_RESET}" if colour else f.severity
            resource = f" {f.resource}" if f.resource else ""
            hint = f" (hint: {f.hint})" if f.hint else ""
            lines.append(
                f"  {f.line or '-'}:{f.column or '-'} {severity} [{f.rule}]{resource}: "
                f"{f.message}{hint}"
            )
    for f, why in report.suppressed:
        lines.append(f"suppressed [{f.rule}] {_where(f)} {f.resource}: {f.message} ({why})")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _as_dict(f: Finding) -> dict[str, object]:
    return {
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "hint": f.hint,
        "resource": {
            "apiVersion": f.api_version,
            "kind": f.kind,
            "namespace": f.namespace,
            "name": f.name,
        },
    }


@reporter("json")
def as_json(report: Report, colour: bool, fail_on: str = "error") -> str:
    data = {
        "summary": {
            **report.counts(),
            "files": report.files,
            "resources": report.resources,
            "suppressed": len(report.suppressed),
        },
        "findings": [_as_dict(f) for f in report.findings],
        "suppressed": [{**_as_dict(f), "reason": why} for f, why in report.suppressed],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


_ENV_TREE = re.compile(r"^(.*?rendered/[^/]+)/")


def _suite(path: str) -> str:
    """An environment's rendered tree is one suite; any other file is its own."""
    match = _ENV_TREE.match(path)
    return match.group(1) if match else path


def _case_key(f: Finding) -> tuple[str, str, str, str]:
    return (f.path, f.kind, f.namespace, f.name)


def _junit_case(
    name: str, classname: str, findings: list[Finding], fail_on: str
) -> tuple[list[str], bool]:
    """One <testcase>: findings at/above `fail_on` are <failure>s, the rest are reported in
    <system-out> without failing (the Jenkins/GitLab JUnit schema has no 'warning')."""
    failing = [f for f in findings if f.at_or_above(fail_on)]
    passing = [f for f in findings if not f.at_or_above(fail_on)]
    head = f'    <testcase classname={quoteattr(classname)} name={quoteattr(name)} time="0"'
    if not findings:
        return [head + "/>"], False
    out = [head + ">"]
    for f in failing:
        message = quoteattr(f"[{f.rule}] {f.message}")
        out.append(
            f"      <failure type={quoteattr(f.severity)} message={message}>"
            f"{escape(_where(f))}: {escape(f.severity)} [{escape(f.rule)}] {escape(f.message)}"
            f"{escape(f' (hint: {f.hint})') if f.hint else ''}</failure>"
        )
    if passing:
        text = "\n".join(f"{_where(f)}: {f.severity} [{f.rule}] {f.message}" for f in passing)
        out.append(f"      <system-out>{escape(text)}</system-out>")
    out.append("    </testcase>")
    return out, bool(failing)


@reporter("junit")
def junit(report: Report, colour: bool, fail_on: str = "error") -> str:
    """A test suite per file, a test case per resource (passed ones too): CI dashboards show
    which resources passed. Findings below `--fail-on` are reported without failing."""
    by_case: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in report.findings:
        by_case.setdefault(_case_key(f), []).append(f)
    cases: dict[str, dict[tuple[str, str, str, str], str]] = {}
    for path, _line, kind, namespace, name in report.checked:
        where = f"{namespace}/" if namespace else ""
        label = f"{kind}/{where}{name}"
        cases.setdefault(_suite(path), {})[(path, kind, namespace, name)] = label
    for f in report.findings:
        cases.setdefault(_suite(f.path), {}).setdefault(_case_key(f), f.resource or f.path)
    suites: list[str] = []
    total = failed = 0
    for suite in sorted(cases):
        lines: list[str] = []
        suite_failed = 0
        for key, name in sorted(cases[suite].items(), key=lambda kv: (kv[0][0], kv[1])):
            case, failing = _junit_case(name, key[0], by_case.get(key, []), fail_on)
            lines += case
            suite_failed += failing
        total += len(cases[suite])
        failed += suite_failed
        suites.append(
            f'  <testsuite name={quoteattr(suite)} tests="{len(cases[suite])}" '
            f'failures="{suite_failed}" errors="0" skipped="0" time="0">'
        )
        suites += [*lines, "  </testsuite>"]
    if not cases:  # nothing to validate is still a (passing) run a dashboard can show
        total = 1
        suites = [
            '  <testsuite name="bkgen validate" tests="1" failures="0" errors="0" '
            'skipped="0" time="0">',
            '    <testcase classname="bkgen" name="no resources" time="0"/>',
            "  </testsuite>",
        ]
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="bkgen validate" tests="{total}" failures="{failed}" errors="0" '
        'time="0">',
    ]
    return "\n".join([*head, *suites, "</testsuites>"]) + "\n"


@reporter("sarif")
def sarif(report: Report, colour: bool, fail_on: str = "error") -> str:
    """SARIF 2.1.0 for GitHub code scanning."""
    levels = {"error": "error", "warning": "warning", "info": "note"}
    used = sorted({f.rule for f in report.findings})
    rules = []
    for rule_id in used:
        module = BY_ID.get(rule_id)
        rules.append(
            {
                "id": rule_id,
                "shortDescription": {"text": getattr(module, "RATIONALE", f"{rule_id} check")},
            }
        )
    results = []
    for f in report.findings:
        region = {"startLine": f.line or 1, "startColumn": f.column or 1}
        results.append(
            {
                "ruleId": f.rule,
                "level": levels[f.severity],
                "message": {"text": f"{f.resource + ': ' if f.resource else ''}{f.message}"},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": f.path}, "region": region}}
                ],
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bkgen",
                        "version": __version__,
                        "informationUri": "https://github.com/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


@reporter("tap")
def tap(report: Report, colour: bool, fail_on: str = "error") -> str:
    lines = ["TAP version 13", f"1..{max(len(report.findings), 1)}"]
    if not report.findings:
        lines.append("ok 1 - all resources valid")
    for i, f in enumerate(report.findings, start=1):
        status = "not ok" if f.at_or_above(fail_on) else "ok"
        lines.append(f"{status} {i} - {_where(f)} [{f.rule}] {f.resource} {f.message}".rstrip())
        lines.append(f"  ---\n  severity: {f.severity}\n  ...")
    return "\n".join(lines) + "\n"
