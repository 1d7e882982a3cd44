"""Findings are data: every problem validation finds, with where and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

SEVERITIES = ("info", "warning", "error")
RANK = {name: i for i, name in enumerate(SEVERITIES)}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int | None
    column: int | None
    rule: str
    severity: str
    message: str
    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    hint: str = ""

    @property
    def resource(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}" if self.kind else ""

    def at_or_above(self, level: str) -> bool:
        return RANK[self.severity] >= RANK[level]


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)  # finding, why
    files: int = 0
    documents: int = 0
    resources: int = 0
    # Every resource checked (path, line, kind, namespace, name): reporters that list passed
    # resources (JUnit: one test case per resource) need more than the findings.
    checked: list[tuple[str, int, str, str, str]] = field(default_factory=list)

    def failed(self, fail_on: str = "error") -> bool:
        return any(f.at_or_above(fail_on) for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            out[finding.severity] += 1
        return out

    def merge(self, other: Report) -> None:
        """Add another run's results (one run per environment, settings differ)."""
        self.findings.extend(other.findings)
        self.suppressed.extend(other.suppressed)
        self.checked.extend(other.checked)
        self.files += other.files
        self.documents += other.documents
        self.resources += other.resources

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)
