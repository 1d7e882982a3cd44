"""Output formats for a validation `Report`, selected by name (`--output`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import groupby
from xml.sax.saxutils import escape, quoteattr

from bkgen import __version__
from bkgen.validate.findings import Finding, Report
from bkgen.validate.rules import BY_ID

Renderer = Callable[[Report, bool], str]
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
def text(report: Report, colour: bool) -> str:
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
def as_json(report: Report, colour: bool) -> str:
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


@reporter("junit")
def junit(report: Report, colour: bool) -> str:
    """One test case per finding, one passing case when clean: CI systems count them."""
    failures = [f for f in report.findings if f.severity != "info"]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="bkgen validate" tests="{max(len(report.findings), 1)}" '
        f'failures="{len(failures)}">',
        f'  <testsuite name="bkgen validate" tests="{max(len(report.findings), 1)}" '
        f'failures="{len(failures)}">',
    ]
    for f in report.findings:
        name = quoteattr(f"{f.rule} {f.resource or f.path}")
        out.append(f"    <testcase classname={quoteattr(f.path)} name={name}>")
        tag = "failure" if f.severity != "info" else "system-out"
        if tag == "failure":
            out.append(
                f"      <failure type={quoteattr(f.severity)} message={quoteattr(f.message)}>"
                f"{escape(_where(f))}: {escape(f.message)}</failure>"
            )
        else:
            out.append(f"      <system-out>{escape(_where(f))}: {escape(f.message)}</system-out>")
        out.append("    </testcase>")
    if not report.findings:
        out.append('    <testcase classname="bkgen" name="all resources valid"/>')
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"


@reporter("sarif")
def sarif(report: Report, colour: bool) -> str:
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
def tap(report: Report, colour: bool) -> str:
    lines = ["TAP version 13", f"1..{max(len(report.findings), 1)}"]
    if not report.findings:
        lines.append("ok 1 - all resources valid")
    for i, f in enumerate(report.findings, start=1):
        status = "ok" if f.severity == "info" else "not ok"
        lines.append(f"{status} {i} - {_where(f)} [{f.rule}] {f.resource} {f.message}".rstrip())
        lines.append(f"  ---\n  severity: {f.severity}\n  ...")
    return "\n".join(lines) + "\n"
