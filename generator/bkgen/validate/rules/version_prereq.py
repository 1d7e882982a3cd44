"""The monitor/log suite's version prerequisites from the 7.1 runbook."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "version-prereq"
SEVERITY = "error"
RATIONALE = "Monitor/log needs BlueKing >= 7.1.3, bk-gse >= 2.1.2-beta.20, bk-apigateway >= 1.11.3."

SUITE = {"bk-monitor", "bkmonitor-operator", "bk-log-search", "bklog-collector"}
MINIMUMS = {"bk-gse": "2.1.2-beta.20", "bk-apigateway": "1.11.3"}
BLUEKING = "7.1.3"


def semver_key(version: str) -> tuple[tuple[int, ...], tuple[tuple[int, int | str], ...]]:
    """Semantic-version ordering: a pre-release sorts before its release."""
    core, _, pre = version.lstrip("v").split("+")[0].partition("-")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    if not pre:
        return numbers, ((2, 0),)  # releases after any pre-release
    parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.]", pre))
    return numbers, parts


def older(version: str, minimum: str) -> bool:
    return semver_key(version) < semver_key(minimum)


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    apps = {
        f.labels.get("bkgen.io/release"): (i, f)
        for i, f in enumerate(facts)
        if f.kind == "Application" and f.labels.get("bkgen.io/release")
    }
    users = sorted(r for r in apps if r in SUITE)
    if not users:
        return
    index, first = apps[users[0]]
    platform = first.annotations.get("bkgen.io/blueking-version", "")
    if platform and older(platform, BLUEKING):
        yield Hit(
            f"{users[0]} needs BlueKing >= {BLUEKING}, the environment runs {platform}",
            ("metadata", "annotations"),
            "upgrade the base suite first",
            index=index,
        )
    for release, minimum in MINIMUMS.items():
        if release not in apps:
            continue
        other_index, other = apps[release]
        version = other.annotations.get("bkgen.io/version", "")
        if version and older(version, minimum):
            yield Hit(
                f"the monitor/log suite needs {release} >= {minimum}, pinned {version}",
                ("metadata", "annotations"),
                f"bkgen bump {release} {minimum}",
                index=other_index,
            )
