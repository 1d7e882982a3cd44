"""Workflow steps from a trusted git ref: render a pull request without running its Python.

`argo/*.py` is Python imported at render time, so rendering a pull request would run the
code it brings. CI renders untrusted changes with the steps of a trusted ref
(`--steps-from origin/main`): a changed step shows up as a diff of rendered files, never as
code run in CI. The steps directory is then passed to the render as data
(`Environment.steps_root`), never set as process state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bkgen.errors import UsageError
from bkgen.gitops.git import resolve_ref, tree_at


@contextmanager
def steps_at(repo: Path, ref: str) -> Iterator[Path]:
    """A directory holding `argo/` as it is at `ref`, for as long as the block runs."""
    commit = resolve_ref(repo, ref)
    with tree_at(repo, commit, "argo") as argo:
        if not argo.is_dir():
            raise UsageError(f"{ref} has no argo/ directory")
        yield argo.parent
