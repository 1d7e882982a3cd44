"""`--engine kubeconform`: run a kubeconform binary from PATH, map its results to findings.

For teams that already trust kubeconform; bkgen's policy rules do not run in
this mode (kubeconform only checks schemas). Missing binary is a usage error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bkgen.errors import UsageError, display_path
from bkgen.validate.findings import Finding, Report


def run_kubeconform(paths: Sequence[Path], settings: object) -> Report:
    binary = shutil.which("kubeconform")
    if binary is None:
        raise UsageError("kubeconform is not on PATH", hint="use the default --engine builtin")
    kube = getattr(settings, "kube_version", "1.23")
    command = [binary, "-output", "json", "-summary", f"-kubernetes-version={kube}.0"]
    if getattr(settings, "strict", True):
        command.append("-strict")
    if getattr(settings, "ignore_missing_schemas", False):
        command.append("-ignore-missing-schemas")
    for location in getattr(settings, "schema_locations", ()):
        command += ["-schema-location", location]
    command += [str(p) for p in paths]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    try:
        data = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        raise UsageError(f"kubeconform printed no JSON: {done.stderr.strip()[:200]}") from None
    report = Report()
    summary = data.get("summary") or {}
    report.resources = (
        int(summary.get("valid", 0))
        + int(summary.get("invalid", 0))
        + int(summary.get("errors", 0))
        + int(summary.get("skipped", 0))
    )
    report.files = len({r.get("filename") for r in data.get("resources") or []})
    for item in data.get("resources") or []:
        status = item.get("status", "")
        if status in ("statusValid", "statusSkipped", "statusEmpty"):
            continue
        report.findings.append(
            Finding(
                path=display_path(item.get("filename", "-")),
                line=None,
                column=None,
                rule="schema",
                severity="error",
                message=str(item.get("msg", status)),
                kind=str(item.get("kind", "")),
                name=str(item.get("name", "")),
                api_version=str(item.get("version", "")),
                hint="reported by kubeconform",
            )
        )
    return report
