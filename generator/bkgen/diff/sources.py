"""The two reviews of rendered/: a change between git refs, and committed vs a fresh render.

`bkgen diff` and `bkgen check` print these; the comparing, the git trees and the fresh
renders live here so the commands only parse options and choose a renderer.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bkgen.diff.compare import TreeDiff, diff_trees
from bkgen.diff.config import (
    ignore_patterns,
    patterns_of,
    settings_at,
    settings_in_tree,
    trust_risk,
)
from bkgen.diff.envs import by_release
from bkgen.diff.formats import DiffReport
from bkgen.diff.model import Key, Resource, load_tree
from bkgen.errors import UsageError
from bkgen.gitops.git import default_base, resolve_ref, tree_at
from bkgen.overlay.names import list_environments, rendered_envs
from bkgen.pipeline import render_stamped
from bkgen.render import stamp


def _load(path: Path) -> dict[Key, Resource]:
    return load_tree(path) if path.is_dir() else {}


def compare_dirs(old: Path, new: Path, ignore: tuple[str, ...], defaults: bool) -> DiffReport:
    """Two directories of manifests, outside any environment."""
    patterns = ignore_patterns(None, None, ignore, defaults=defaults)
    result = diff_trees(_load(old), _load(new), patterns)
    return DiffReport([result], f"{old} -> {new}", patterns)


def compare_refs(
    repo: Path,
    envs: Sequence[str],
    base: str | None,
    head: str | None,
    ignore: tuple[str, ...],
    defaults: bool,
) -> DiffReport:
    """rendered/ENV at `base` (default: the merge base a pull request has) against `head`
    (default: the working tree). No `envs`: every environment, including one the change
    adds or deletes, since that is part of the review too."""
    with ExitStack() as stack:
        base_sha, why = (resolve_ref(repo, base), "given") if base else default_base(repo)
        head_sha = resolve_ref(repo, head) if head else None
        old_root = stack.enter_context(tree_at(repo, base_sha, "rendered"))
        new_root = stack.enter_context(tree_at(repo, head_sha, "rendered")) if head_sha else None
        names = list(envs) or sorted(
            {
                *list_environments(repo),
                *rendered_envs(old_root),
                *rendered_envs(new_root or repo / "rendered"),
            }
        )
        results = []
        every: dict[str, None] = {}  # each env's ignore list, all of them in the report
        for env in names:
            # The ignore list hides changes: it is taken from the base, never from the head.
            trusted = settings_at(repo, base_sha, env)
            proposed = settings_at(repo, head_sha, env) if head_sha else settings_in_tree(repo, env)
            patterns = patterns_of(trusted, ignore, defaults=defaults)
            every.update(dict.fromkeys(patterns))
            new_dir = (new_root or repo / "rendered") / env
            result = diff_trees(_load(old_root / env), _load(new_dir), patterns, env=env)
            risk = trust_risk(env, trusted, proposed)
            if risk is not None:
                result.risks.insert(0, risk)
            results.append(result)
    shown_base = base if base else base_sha[:12]
    title = (
        f"base {shown_base} ({base_sha[:12] if base else why}), "
        f"head {head + ' (' + head_sha[:12] + ')' if head and head_sha else 'working tree'}"
    )
    return DiffReport(results, title, tuple(every))


def compare_envs(
    repo: Path, first: str, second: str, head: str | None, ignore: tuple[str, ...], defaults: bool
) -> DiffReport:
    """rendered/FIRST against rendered/SECOND (the working tree, or `head`), release by
    release. The ignore list is FIRST's, read where the trees are read."""
    with ExitStack() as stack:
        head_sha = resolve_ref(repo, head) if head else None
        root = stack.enter_context(tree_at(repo, head_sha, "rendered")) if head_sha else None
        settings = settings_at(repo, head_sha, first) if head_sha else settings_in_tree(repo, first)
        patterns = patterns_of(settings, ignore, defaults=defaults)
        dirs = [(root or repo / "rendered") / env for env in (first, second)]
        for env, path in zip((first, second), dirs, strict=True):
            if not path.is_dir():
                raise UsageError(f"rendered/{env} does not exist", hint=f"bkgen render {env}")
        trees = [load_tree(path) for path in dirs]
    result = diff_trees(
        by_release(trees[0]), by_release(trees[1]), patterns, env=f"{first} -> {second}"
    )
    result.risks, result.by_hand = [], ()  # not a sync: nothing happens to data here
    result.sync = False
    where = f"{head} ({head_sha[:12]})" if head and head_sha else "working tree"
    title = f"environments {first} -> {second} ({where}), Applications matched by release"
    return DiffReport([result], title, patterns)


@dataclass(frozen=True)
class Freshness:
    env: str
    changed: list[str]  # files of rendered/ENV that differ from a fresh render
    diff: TreeDiff | None  # what changed, resource by resource; None when up to date


def freshness(
    repo: Path, envs: Sequence[str], steps: Path | None
) -> Generator[Freshness, None, None]:
    """Each environment's committed tree against a fresh render, one at a time, so a caller
    can report progress before a later environment fails."""
    workdir = Path(tempfile.mkdtemp(prefix="bkgen-check-"))
    try:
        for env in envs:
            fresh = workdir / env
            _, made = render_stamped(repo, env, fresh, steps=steps)
            committed = repo / "rendered" / env
            changed = _changed_files(committed, fresh)
            if made is not None and not changed:
                stamp.record(repo, made)  # the next check finds it up to date at once
            diff = diff_trees(_load(committed), _load(fresh), env=env) if changed else None
            yield Freshness(env, changed, diff)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _changed_files(committed: Path, fresh: Path) -> list[str]:
    def files(root: Path) -> dict[str, bytes]:
        if not root.is_dir():
            return {}
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    old, new = files(committed), files(fresh)
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))
