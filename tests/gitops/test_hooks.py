"""The pre-commit hooks pass on a clean checkout and fail on a broken one, run by pre-commit
itself (so each hook gets exactly the files pre-commit passes it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.gitops.conftest import git

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def test_config_runs_exactly_the_hooks_this_repository_provides(repo_root: Path) -> None:
    provided = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text())
    config = yaml.safe_load((repo_root / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    used = local["hooks"]
    keys = ("id", "entry", "files", "pass_filenames", "require_serial", "exclude")
    assert [{k: h.get(k) for k in keys} for h in used] == [
        {k: h.get(k) for k in keys} for h in provided
    ]


@pytest.fixture
def checkout(tmp_path: Path, repo_root: Path) -> Path:
    """A clean checkout of this repository's tracked files (with the working tree's changes)."""
    root = tmp_path / "checkout"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for rel in files:
        source = repo_root / rel
        if source.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / rel)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "checkout")
    return root


def pre_commit(root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{PRE_COMMIT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "BKGEN_ROOT": "",
    }
    return subprocess.run(
        [str(PRE_COMMIT), "run", "--all-files", "--color", "never"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_hooks_pass_on_a_clean_checkout_and_fail_on_a_broken_one(
    checkout: Path, tmp_path: Path
) -> None:
    done = pre_commit(checkout, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bkgen check" in done.stdout and "bkgen validate" in done.stdout
    # Broken: a hand edit that both makes rendered/ stale and breaks the schema.
    app = checkout / "rendered/default/argocd/apps/Application_default-bk-job.yaml"
    app.write_text(app.read_text().replace("selfHeal: true", "selfHeal: true\n      selfHeel: 1"))
    git(checkout, "commit", "-qam", "broken")
    done = pre_commit(checkout, tmp_path)
    assert done.returncode == 1
    out = done.stdout
    assert "rendered/default: 1 file(s) differ from a fresh render" in out
    assert "1 errors" in out and "Application_default-bk-job.yaml" in out
