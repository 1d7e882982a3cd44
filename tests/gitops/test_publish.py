"""publish: commits with provenance, no-op when unchanged, racing publishers lose nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from tests.gitops.conftest import git


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def publish_to_deploy_repo(project: Path, remote: Path) -> tuple[int, str]:
    """`default` into `remote` at envs/, its Applications rendered to point there."""
    return run(
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
        "--render-for-target",
    )


def bare(tmp_path: Path, name: str = "deploy.git") -> Path:
    path = tmp_path / name
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def test_publish_to_deploy_repo_with_trailers_then_noop(project: Path, tmp_path: Path) -> None:
    remote = bare(tmp_path)
    code, out = publish_to_deploy_repo(project, remote)
    assert code == 0, out
    assert "bkgen publish default:" in out and "pushed after 1 attempt(s)" in out
    log = git(remote, "log", "-1", "--format=%B", "main")
    assert log.startswith("bkgen publish default: 41 app(s) changed (+149 -0 ~0 resources)")
    assert "Bkgen-Source-Commit: " in log and "Bkgen-Version: " in log
    assert "Bkgen-Input-Digest: default=" in log
    files = git(remote, "ls-tree", "-r", "--name-only", "main").split()
    assert "envs/default/argocd/apps/Application_default-bk-job.yaml" in files
    code, out = publish_to_deploy_repo(project, remote)
    assert code == 0 and out.startswith("nothing to publish")
    assert git(remote, "rev-list", "--count", "main").strip() == "1"


def test_a_relative_deploy_repo_is_where_the_user_stands(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = bare(tmp_path)
    monkeypatch.chdir(tmp_path)  # publish clones elsewhere: the path is still the user's
    code, out = publish_to_deploy_repo(project, Path(remote.name))
    assert code == 0, out
    assert "envs/default/argocd/apps/Application_default-bk-job.yaml" in git(
        remote, "ls-tree", "-r", "--name-only", "main"
    )


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
    code, out = run(
        "publish", "default", "--root", str(project), "--repo", str(remote), "--render-for-target"
    )
    assert code == 2 and "invalid YAML" in out
    assert git(project, "rev-parse", "HEAD") == head
    assert git(remote, "branch", "--list").strip() == ""


_PUBLISH = """
import sys
from pathlib import Path
from bkgen.gitops.publish import publish
result = publish(Path(sys.argv[1]), ["default"], sys.argv[2], "main", "envs", push=True, for_target=True)
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


def _clone_with_remote(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    remote = bare(tmp_path, "origin.git")
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "-u", "origin", "HEAD:main")
    git(project, "branch", "-q", "--set-upstream-to=origin/main")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    return remote, other


def test_push_here_rebases_and_rerenders_when_sources_moved(project: Path, tmp_path: Path) -> None:
    git(project, "branch", "-q", "-M", "main")
    remote, other = _clone_with_remote(project, tmp_path)
    custom = other / "overlays/default/custom.yaml"
    custom.write_text(
        custom.read_text().replace("bkDomain: bkce7.bktencent.com", "bkDomain: moved.example.org")
    )
    git(other, "commit", "-qam", "someone else changes the domain (without rendering)")
    git(other, "push", "-q", "origin", "main")
    versions = project / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('bk-nodeman: "2.2.27"', 'bk-nodeman: "2.4.4"'))
    git(project, "commit", "-qam", "bump nodeman")
    code, out = run("publish", "default", "--root", str(project), "--push")
    assert code == 0, out
    check = tmp_path / "check"
    subprocess.run(["git", "clone", "-q", str(remote), str(check)], check=True)
    assert run("check", "--root", str(check))[0] == 0  # rendered/ matches the merged sources
    app = (check / "rendered/default/argocd/apps/Application_default-bk-nodeman.yaml").read_text()
    assert "targetRevision: 2.4.4" in app
    assert (
        "bkrepo.moved.example.org"
        in (check / "rendered/default/releases/bk-repo/values.yaml").read_text()
    )


def test_rejected_push_leaves_branch_and_tree_as_they_were(project: Path, tmp_path: Path) -> None:
    git(project, "branch", "-q", "-M", "main")
    remote, _ = _clone_with_remote(project, tmp_path)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'rejected by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    custom = project / "overlays/default/custom.yaml"
    custom.write_text(
        custom.read_text().replace("bkDomain: bkce7.bktencent.com", "bkDomain: x.example.org")
    )
    head = git(project, "rev-parse", "HEAD")
    before = (project / "rendered/default/releases/bk-repo/values.yaml").read_text()
    code, out = run("publish", "default", "--root", str(project), "--push")
    assert code == 1 and "git error" in out
    assert git(project, "rev-parse", "HEAD") == head
    assert (project / "rendered/default/releases/bk-repo/values.yaml").read_text() == before
    assert git(project, "status", "--porcelain").strip() == "M overlays/default/custom.yaml"


def test_normalised_urls() -> None:
    from bkgen.gitops.publish import normalise_url

    same = [
        "https://git.example.com/blueking/bkce7-gitops.git",
        "https://git.example.com/blueking/bkce7-gitops",
        "https://git.example.com/blueking/bkce7-gitops/",
        "http://Git.Example.com/blueking/bkce7-gitops.git/",
        "ssh://git@git.example.com/blueking/bkce7-gitops.git",
        "git@git.example.com:blueking/bkce7-gitops.git",
        "https://user:token@git.example.com/blueking/bkce7-gitops.git",
    ]
    assert len({normalise_url(u) for u in same}) == 1
    assert normalise_url(same[0]) != normalise_url("https://git.example.com/blueking/other.git")


def test_publish_refuses_a_target_the_applications_do_not_read(
    project: Path, tmp_path: Path
) -> None:
    remote = bare(tmp_path)
    head = git(project, "rev-parse", "HEAD")
    # Another repository: refused in one line with the fix, nothing rendered or pushed.
    result = CliRunner().invoke(
        cli, ["publish", "default", "--root", str(project), "--repo", str(remote)]
    )
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert (
        "Applications read https://git.example.com/blueking/bkce7-gitops.git:rendered/default"
        in result.stderr
    )
    assert "--render-for-target" in result.stderr
    assert (
        git(remote, "branch", "--list").strip() == "" and git(project, "rev-parse", "HEAD") == head
    )
    # This repository, another path: refused too.
    code, out = run("publish", "default", "--root", str(project), "--path", "deploy")
    assert code == 2 and "would publish to" in out and "deploy/default" in out
    # The same repository spelled differently is accepted.
    env_yaml = project / "overlays/default/env.yaml"
    env_yaml.write_text(
        env_yaml.read_text().replace(
            "repoURL: https://git.example.com/blueking/bkce7-gitops.git",
            f"repoURL: file://{remote}/",
        )
    )
    code, out = run(
        "publish", "default", "--root", str(project), "--repo", str(remote), "--branch", "main"
    )
    assert code == 0, out
    assert "pushed after 1 attempt(s)" in out


def test_render_for_target_points_the_applications_at_it(project: Path, tmp_path: Path) -> None:
    remote = bare(tmp_path)
    code, out = publish_to_deploy_repo(project, remote)
    assert code == 0, out
    root_app = git(
        remote, "show", "main:envs/default/argocd/bootstrap/Application_default-root.yaml"
    )
    assert f"repoURL: {remote}" in root_app and "path: envs/default/argocd/apps" in root_app
