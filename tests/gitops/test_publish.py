"""publish: commits with provenance, no-op when unchanged, racing publishers lose nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from tests.gitops.conftest import git


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def bare(tmp_path: Path, name: str = "deploy.git") -> Path:
    path = tmp_path / name
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def test_publish_to_deploy_repo_with_trailers_then_noop(project: Path, tmp_path: Path) -> None:
    remote = bare(tmp_path)
    code, out = run(
        "publish",
        "default",
        "--root",
        str(project),
        "--repo",
        str(remote),
        "--branch",
        "main",
        "--path",
        "envs",
    )
    assert code == 0, out
    assert "bkgen publish default:" in out and "pushed after 1 attempt(s)" in out
    log = git(remote, "log", "-1", "--format=%B", "main")
    assert log.startswith("bkgen publish default: 41 app(s) changed (+148 -0 ~0 resources)")
    assert "Bkgen-Source-Commit: " in log and "Bkgen-Version: " in log
    assert "Bkgen-Input-Digest: default=" in log
    files = git(remote, "ls-tree", "-r", "--name-only", "main").split()
    assert "envs/default/argocd/apps/Application_default-bk-job.yaml" in files
    code, out = run(
        "publish",
        "default",
        "--root",
        str(project),
        "--repo",
        str(remote),
        "--branch",
        "main",
        "--path",
        "envs",
    )
    assert code == 0 and out.startswith("nothing to publish")
    assert git(remote, "rev-list", "--count", "main").strip() == "1"


def test_publish_here_commits_only_rendered(project: Path) -> None:
    custom = project / "overlays/default/custom.yaml"
    custom.write_text(
        custom.read_text().replace("bkDomain: bkce7.bktencent.com", "bkDomain: bk.example.org")
    )
    (project / "unrelated.txt").write_text("not mine\n")
    code, out = run("publish", "default", "--root", str(project))
    assert code == 0, out
    changed = git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert changed and all(p.startswith("rendered/default/") for p in changed)
    assert "-dirty" in git(project, "log", "-1", "--format=%B")
    assert "?? unrelated.txt" in git(project, "status", "--porcelain")


def test_failed_render_leaves_everything_as_it_was(project: Path, tmp_path: Path) -> None:
    remote = bare(tmp_path)
    (project / "overlays/default/custom.yaml").write_text("replicas: [1\n")
    head = git(project, "rev-parse", "HEAD")
    code, out = run("publish", "default", "--root", str(project), "--repo", str(remote))
    assert code == 2 and "invalid YAML" in out
    assert git(project, "rev-parse", "HEAD") == head
    assert git(remote, "branch", "--list").strip() == ""


_PUBLISH = """
import sys
from pathlib import Path
from bkgen.publish import publish
result = publish(Path(sys.argv[1]), ["default"], sys.argv[2], "main", "envs", push=True)
print(result.committed, result.attempts)
"""


def test_two_racing_publishers_never_lose_a_commit(project: Path, tmp_path: Path) -> None:
    remote = bare(tmp_path)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(remote), str(seed)], check=True)
    (seed / "README").write_text("deploy repo\n")
    git(seed, "add", "README")
    git(seed, "commit", "-qm", "init")
    git(seed, "push", "-q", "origin", "HEAD:main")
    sources = []
    for name, domain in (("one", "one.example.org"), ("two", "two.example.org")):
        copy = tmp_path / name
        shutil.copytree(project, copy)
        custom = copy / "overlays/default/custom.yaml"
        custom.write_text(
            custom.read_text().replace("bkDomain: bkce7.bktencent.com", f"bkDomain: {domain}")
        )
        sources.append(copy)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PUBLISH, str(src), str(remote)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for src in sources
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    log = git(remote, "log", "--format=%s", "main").splitlines()
    assert len(log) == 3 and log[-1] == "init"
    assert all(line.startswith("bkgen publish default") for line in log[:2])
