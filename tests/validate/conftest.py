"""Helpers: write YAML into a tmp dir, validate it, look at the findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bkgen.validate import Report, ValidateSettings, validate_paths

Check = Callable[..., Report]


@pytest.fixture
def check(tmp_path: Path, repo_root: Path) -> Check:
    def run(text: str | bytes, name: str = "manifests.yaml", **settings: object) -> Report:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        options = {"project_root": repo_root, "jobs": 1, **settings}
        return validate_paths([tmp_path], ValidateSettings(**options))  # type: ignore[arg-type]

    return run


def rules(report: Report) -> list[str]:
    return [f.rule for f in report.findings]
