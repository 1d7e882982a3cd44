"""A writable copy of the project's overlays, schemas and steps, for commands that edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli


@pytest.fixture
def project(tmp_path: Path, repo_root: Path) -> Path:
    root = tmp_path / "p"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(repo_root / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def run_cli(root: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one bkgen command line against `root`."""
    result = CliRunner().invoke(cli, [*args, "--root", str(root)])
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under overlays/, to prove a refused command wrote nothing."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "overlays").rglob("*"))
        if p.is_file()
    }
