"""Git plumbing for diff, check and publish: trees at refs, real `git` only.

Every git call of bkgen goes through `run_git()` (or `git()`, which turns a failure into a
`GitError` naming the command; messages pass the one redaction, so a token in a URL never
shows); nothing here changes a working tree it did not create.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bkgen.errors import GitError, UsageError


def run_git(
    args: Sequence[str], cwd: Path, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The one place bkgen starts git: for callers that must read git's own stderr."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            input=input_text,
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:3])} took longer than 300 s") from None


def git(
    args: Sequence[str],
    cwd: Path,
    check: bool = True,
    returncode: bool = False,
    input_text: str | None = None,
) -> str:
    """Run git; its stdout, or its exit status as text with `returncode=True`."""
    done = run_git(args, cwd, input_text)
    if returncode:
        return str(done.returncode)
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        last = detail[-1] if detail else done.returncode
        raise GitError(f"git {' '.join(args[:3])} failed: {last}")
    return done.stdout


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit `ref` names; an unknown ref is the user's mistake (exit 2), not a diff."""
    sha = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo, check=False).strip()
    if not sha:
        raise UsageError(
            f"unknown git ref '{ref}'", hint="give a branch, tag or commit that exists here"
        )
    return sha


def _default_branch(repo: Path) -> str | None:
    """The branch a pull request would target: origin's HEAD, else main/master."""
    remote_head = git(
        ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], repo, check=False
    ).strip()
    candidates = [remote_head] if remote_head else []
    candidates += ["origin/main", "origin/master", "main", "master"]
    for name in candidates:
        found = git(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], repo, check=False)
        if found.strip():
            return name
    return None


def default_base(repo: Path) -> tuple[str, str]:
    """The base a pull request would be reviewed against, and how it was chosen.

    The merge base with the upstream branch; without one, the merge base with the default
    branch; in a repository with neither, HEAD.
    """
    upstream = git(
        ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"], repo, check=False
    ).strip()
    for target, why in ((upstream, "upstream"), (_default_branch(repo) or "", "default branch")):
        if not target:
            continue
        base = git(["merge-base", "HEAD", target], repo, check=False).strip()
        if base:
            return base, f"merge base with {target} ({why})"
    head = git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], repo, check=False).strip()
    if not head:
        raise UsageError("no commits yet: nothing to compare against", hint="give --base REF")
    return head, "HEAD (no upstream and no default branch)"


@contextmanager
def tree_at(repo: Path, ref: str, path: str) -> Iterator[Path]:
    """`path` of the repository as of `ref`, extracted into a temporary directory."""
    top = Path(git(["rev-parse", "--show-toplevel"], repo).strip())
    rel = (repo.resolve() / path).relative_to(top.resolve()).as_posix()
    workdir = Path(tempfile.mkdtemp(prefix="bkgen-ref-"))
    try:
        target = workdir / "tree"
        target.mkdir()
        listing = git(["ls-tree", "-r", "--name-only", ref, "--", rel], top, check=True)
        if listing.strip():
            archive = workdir / "tree.tar"
            git(["archive", "--format=tar", f"--output={archive}", ref, "--", rel], top)
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
        yield target / rel
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
