"""Git plumbing for diff, check and publish: trees at refs, real `git` only.

Every git call goes through `git()`, which turns a failure into a `GitError`
naming the command; nothing here changes a working tree it did not create.
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


def git(
    args: Sequence[str],
    cwd: Path,
    check: bool = True,
    returncode: bool = False,
    input_text: str | None = None,
) -> str:
    """Run git; its stdout, or its exit status as text with `returncode=True`."""
    try:
        done = subprocess.run(
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
    if returncode:
        return str(done.returncode)
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        last = detail[-1] if detail else done.returncode
        raise GitError(f"git {' '.join(args[:3])} failed: {last}")
    return done.stdout


def default_base(repo: Path) -> str:
    """The merge base with the upstream branch, or HEAD when there is no upstream."""
    upstream = git(
        ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"], repo, check=False
    ).strip()
    if upstream:
        return git(["merge-base", "HEAD", upstream], repo).strip()
    return "HEAD"


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


@contextmanager
def steps_at(repo: Path, ref: str) -> Iterator[None]:
    """Render with the `argo/` steps of `ref` (a trusted branch), not the working tree's."""
    from bkgen.workflows.compile import steps_from

    resolved = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo, check=False)
    if not resolved.strip():
        raise UsageError(f"unknown git ref {ref!r} for --steps-from")
    with tree_at(repo, ref, "argo") as argo:
        if not argo.is_dir():
            raise UsageError(f"{ref} has no argo/ directory")
        with steps_from(argo.parent):
            yield
