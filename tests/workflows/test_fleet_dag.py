"""The emitted fleet Workflow, executed: its scripts under bash with the project installed in
place of the image, against local bare git repositories for the overlays and the deploy
repository. Afterwards the deploy repository holds exactly what `bkgen render` produces here.
"""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bkgen.cli import cli
from tests.gitops.conftest import git, git_identity
from tests.workflows.fleet_runner import TaskRun, run_dag

__all__ = ["git_identity"]  # hermetic git (its own config, no GIT_* of the caller)

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # the project installed, standing in for the image
TOKEN = "tok-5f1e9c-never-printed"


class Fleet:
    """An overlay repository and an empty deploy repository, both bare, plus a work tree."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.overlays = tmp / "overlays.git"
        self.deploy = tmp / "deploy.git"
        self.project = tmp / "project"
        for part in ("overlays", "schemas", "argo"):
            shutil.copytree(
                REPO / part, self.project / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        for env_yaml in (self.project / "overlays").glob("*/env.yaml"):  # every env, any URL
            text = re.sub(r"(?m)^(\s*repoURL:\s*)\S+", rf"\g<1>{self.deploy}", env_yaml.read_text())
            env_yaml.write_text(text)
        git(self.project, "init", "-q", "-b", "main")
        self.commit("overlays")
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.overlays))
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.deploy))
        git(self.project, "push", "-q", str(self.overlays), "main")

    def commit(self, message: str) -> None:
        git(self.project, "add", "-A")
        git(self.project, "commit", "-q", "-m", message)

    def push(self) -> None:
        git(self.project, "push", "-q", str(self.overlays), "main")

    def emit(self, *args: str) -> list[dict[str, Any]]:
        out = self.tmp / "fleet.yaml"
        result = CliRunner().invoke(
            cli,
            [
                *("workflows", "fleet", *args, "--repo", str(self.overlays)),
                *("--deploy-repo", str(self.deploy), "--registry", "registry.invalid/bk"),
                *("--output-file", str(out), "--root", str(self.project)),
            ],
        )
        assert result.exit_code == 0, result.output
        return list(yaml.safe_load_all(out.read_text()))

    def expected(self, *envs: str) -> Path:
        """`bkgen render ENV...` of the overlays, here, in a clean clone."""
        clone = self.tmp / "expected"
        shutil.rmtree(clone, ignore_errors=True)
        git(self.tmp, "clone", "-q", str(self.overlays), str(clone))
        subprocess.run(
            [str(VENV_BIN / "bkgen"), "render", *envs, "-q"],
            cwd=clone,
            check=True,
            capture_output=True,
        )
        return clone / "rendered"

    def deployed(self) -> Path:
        clone = self.tmp / "deployed"
        shutil.rmtree(clone, ignore_errors=True)
        git(self.tmp, "clone", "-q", str(self.deploy), str(clone))
        return clone

    def run(self, documents: list[dict[str, Any]], *path: Path, **kw: Any) -> dict[str, TaskRun]:
        return run_dag(documents, self.tmp / "pods", [*path, VENV_BIN], **kw)


def same_trees(left: Path, right: Path) -> None:
    compared = filecmp.dircmp(left, right)
    assert not compared.left_only and not compared.right_only, (
        compared.left_only,
        compared.right_only,
    )
    _, mismatch, errors = filecmp.cmpfiles(left, right, compared.common_files, shallow=False)
    assert not mismatch and not errors, mismatch
    for sub in compared.common_dirs:
        same_trees(left / sub, right / sub)


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return Fleet(tmp_path)


def test_healthy_fleet_publishes_exactly_the_local_render(fleet: Fleet) -> None:
    documents = fleet.emit("--all", "--shards", "2", "--git-token-secret", "git-https")
    runs = fleet.run(documents, secrets={"git-https": {"token": TOKEN}})
    assert {n: r.phase for n, r in runs.items()} == {
        "shard-0": "Succeeded",
        "shard-1": "Succeeded",
        "report": "Succeeded",
    }
    envs = sorted(p.parent.name for p in (fleet.project / "overlays").glob("*/env.yaml"))
    assert f"published ({len(envs)}): {' '.join(envs)}" in runs["report"].log
    deployed = fleet.deployed()
    same_trees(deployed / "rendered", fleet.expected("--all"))
    assert sorted(p.name for p in deployed.iterdir() if p.name != ".git") == ["rendered"]
    # the token reached git's credential helper, never a log, a file or the Workflow
    assert all(TOKEN not in r.log for r in runs.values())
    assert TOKEN not in yaml.safe_dump_all(documents)
    for pod_file in (fleet.tmp / "pods").rglob("*"):
        if pod_file.is_file():
            assert TOKEN.encode() not in pod_file.read_bytes(), pod_file
    home = next((fleet.tmp / "pods").glob("shard-0-1/bkgen-shard.*/home"))
    asked = subprocess.run(
        ["git", "credential", "fill"],
        input="protocol=https\nhost=git.example.com\n\n",
        env={"HOME": str(home), "GIT_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"password={TOKEN}" in asked


def test_a_broken_environment_fails_its_shard_by_name_and_the_others_publish(
    fleet: Fleet,
) -> None:
    shutil.copytree(fleet.project / "overlays/default", fleet.project / "overlays/broken")
    env_yaml = fleet.project / "overlays/broken/env.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("rendered/default", "rendered/broken"))
    fleet.commit("add broken")
    fleet.push()
    documents = fleet.emit("broken", "default", "prod", "--shards", "2")
    # the revision the Workflow runs breaks the env after it was emitted
    (fleet.project / "overlays/broken/custom.yaml").write_text("domain: [unclosed\n")
    fleet.commit("break it")
    fleet.push()
    runs = fleet.run(documents)
    assert runs["shard-0"].phase == "Failed" and runs["shard-0"].attempts == 1  # not retried
    assert runs["shard-0"].outputs == {"failed": "broken"}
    assert runs["shard-1"].phase == "Succeeded"
    report = runs["report"]
    assert report.phase == "Failed"
    assert "bkgen fleet: 1 environment(s) failed: broken" in report.log
    assert "published (2): default prod" in report.log
    deployed = fleet.deployed() / "rendered"
    assert sorted(p.name for p in deployed.iterdir()) == ["default", "prod"]
    same_trees(deployed, fleet.expected("default", "prod"))


RACING_GIT = """#!/bin/bash
# On the first push, another publisher's commit lands on the deploy remote first.
for arg in "$@"; do
  if [ "$arg" = push ] && mkdir "$RACE_MARK" 2> /dev/null; then
    other=$(mktemp -d)
    {real} clone -q "$RACE_REMOTE" "$other/c"
    echo "someone else" > "$other/c/OTHER.md"
    {real} -C "$other/c" add OTHER.md
    {real} -C "$other/c" -c user.name=o -c user.email=o@o commit -q -m other
    {real} -C "$other/c" push -q origin HEAD:main
  fi
done
exec {real} "$@"
"""


def test_a_push_race_loses_neither_commit(fleet: Fleet) -> None:
    # the remote has a branch to race on
    seed = fleet.tmp / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("deploy\n")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", str(fleet.deploy), "main")
    shim = fleet.tmp / "shim"
    shim.mkdir()
    (shim / "git").write_text(RACING_GIT.format(real=shutil.which("git")))
    (shim / "git").chmod(0o755)
    documents = fleet.emit("default", "prod", "--shards", "1")
    for document in documents:  # the race's knobs, as a test-only part of the pod's env
        if document["kind"] == "Workflow":
            shard = next(t for t in document["spec"]["templates"] if t["name"] == "shard")
            shard["container"]["env"] += [
                {"name": "RACE_MARK", "value": str(fleet.tmp / "raced")},
                {"name": "RACE_REMOTE", "value": str(fleet.deploy)},
            ]
    runs = fleet.run(documents, shim)
    assert (fleet.tmp / "raced").is_dir(), "the race happened"
    assert runs["shard-0"].phase == "Succeeded", runs["shard-0"].log
    assert "pushed after 2 attempt(s)" in runs["shard-0"].log
    deployed = fleet.deployed()
    assert (deployed / "OTHER.md").read_text() == "someone else\n"
    assert (deployed / "README.md").is_file()
    same_trees(deployed / "rendered", fleet.expected("default", "prod"))
    log = git(deployed, "log", "--format=%s").splitlines()
    assert log[0].startswith("bkgen publish default, prod:") and log[1:] == ["other", "seed"]


def test_an_unreachable_repository_is_retried_then_reported(fleet: Fleet) -> None:
    documents = fleet.emit("default", "prod", "--shards", "1", "--retries", "2")
    workflow = documents[-1]
    for parameter in workflow["spec"]["arguments"]["parameters"]:
        if parameter["name"] == "repo":  # the overlay repository is down when the pods run
            parameter["value"] = str(fleet.tmp / "gone.git")
    runs = fleet.run(documents)
    assert runs["shard-0"].phase == "Failed"
    assert runs["shard-0"].exit_code == 75 and runs["shard-0"].attempts == 3
    assert runs["shard-0"].log.count("cannot clone the overlay repository") == 3
    assert "bkgen fleet: 2 environment(s) failed: default prod" in runs["report"].log
    assert git(fleet.tmp, "ls-remote", str(fleet.deploy)) == ""


# ssh as git runs it (`$GIT_SSH_COMMAND host git-upload-pack '<path>'`), served from the
# local disk: records the options it was given, then runs the remote command here.
LOCAL_SSH = """#!/bin/bash
printf '%s\\n' "$*" >> "$SSH_LOG"
while [ "$#" -gt 2 ]; do shift; done
exec bash -c "$2"
"""


def test_ssh_uses_the_mounted_key_and_known_hosts(fleet: Fleet) -> None:
    shim = fleet.tmp / "shim"
    shim.mkdir()
    (shim / "ssh").write_text(LOCAL_SSH)
    (shim / "ssh").chmod(0o755)
    documents = fleet.emit("default", "--git-ssh-secret", "git-ssh")
    workflow = documents[-1]
    for parameter in workflow["spec"]["arguments"]["parameters"]:
        if parameter["name"] == "repo":
            parameter["value"] = f"ssh://git@git.example.com{fleet.overlays}"
    shard = next(t for t in workflow["spec"]["templates"] if t["name"] == "shard")
    shard["container"]["env"].append({"name": "SSH_LOG", "value": str(fleet.tmp / "ssh.log")})
    runs = fleet.run(documents, shim)
    assert runs["shard-0"].phase == "Succeeded", runs["shard-0"].log
    [call] = (fleet.tmp / "ssh.log").read_text().splitlines()
    assert call.startswith(
        "-i /etc/bkgen/git-ssh/ssh-privatekey -o IdentitiesOnly=yes "
        "-o UserKnownHostsFile=/etc/bkgen/git-ssh/known_hosts -o StrictHostKeyChecking=yes "
    )
    assert f"git@git.example.com git-upload-pack '{fleet.overlays}'" in call
    same_trees(fleet.deployed() / "rendered", fleet.expected("default"))
