"""A real git repository holding a copy of this project, rendered and committed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bkgen.overlay.names import list_environments
from bkgen.pipeline import render_envs


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def commit_trusted(root: Path) -> None:
    """`root` made a git repository whose HEAD can serve `--trusted HEAD` (it holds the
    project's argo/); its own identity, so no global git config is needed."""
    from tests.conftest import REPO

    shutil.copytree(REPO / "argo", root / "argo", ignore=shutil.ignore_patterns("__pycache__"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(
        root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "trusted"
    )


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in [
        k
        for k in os.environ
        if k.startswith("GIT_") and k not in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")
    ]:
        monkeypatch.delenv(key)


@pytest.fixture
def project(tmp_path: Path, repo_root: Path) -> Path:
    repo = tmp_path / "gitops"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(repo_root / part, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q")
    render_envs(repo, ["default"])
    for env in list_environments(repo):
        if env != "default":
            shutil.rmtree(repo / "overlays" / env)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial render")
    return repo


@pytest.fixture
def shipped(tmp_path: Path, repo_root: Path) -> Path:
    """The project with every shipped environment (default, prod, bcs-demo) and its committed
    rendered tree, in a git repo: a test edits overlays/, renders one env and diffs."""
    repo = tmp_path / "shipped"
    for part in ("overlays", "schemas", "argo", "rendered"):
        shutil.copytree(repo_root / part, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shipped environments")
    return repo


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace `old` (which must be there) in a file of the test's repo."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_bytes(text.replace(old, new).encode("utf-8"))
