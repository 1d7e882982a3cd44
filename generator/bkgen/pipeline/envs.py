"""Trees on disk: one environment into a new directory, or many into `rendered/`, all or
none (each validated beside its tree, swapped in only when every one succeeded), with the
stamp a no-op render reads (`render.stamp`)."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bkgen.charts import cache as chart_cache
from bkgen.gitops.trusted import CRD_DIR
from bkgen.overlay.load import Environment, load_environment
from bkgen.overlay.names import require_environment
from bkgen.pipeline.build import Progress, RenderedTree, build_tree, validate_tree
from bkgen.render import RenderSummary, stamp
from bkgen.workflows import ahead
from bkgen.write.rendered_dir import (
    discard,
    env_lock,
    output_dir,
    same_tree,
    stage_tree,
    swap_in,
    write_tree,
)


def _load(root: Path, env_name: str, steps: Path | None) -> Environment:
    env = load_environment(root, env_name)
    return dataclasses.replace(env, steps_root=steps) if steps is not None else env


def render_env_to(
    root: Path,
    env_name: str,
    dest: Path,
    progress: Progress | None = None,
    steps: Path | None = None,
) -> RenderSummary:
    """Render + validate one environment into a new directory `dest`. `steps`: a directory
    holding the `argo/` to import instead of the project's (`bkgen.workflows.trusted`)."""
    return render_stamped(root, env_name, dest, progress, steps)[0]


def render_stamped(
    root: Path,
    env_name: str,
    dest: Path,
    progress: Progress | None = None,
    steps: Path | None = None,
) -> tuple[RenderSummary, stamp.Stamp | None]:
    """`render_env_to`, with the stamp a caller records once `rendered/<env>/` is known to
    hold those bytes (`bkgen check` finding it up to date)."""
    before = stamp.signature(root) if steps is None else None
    env = _load(root, env_name, steps)
    tree = _write(env, dest, progress)
    return tree.summary, stamped(env, tree, before)


def write_env(env: Environment, dest: Path, progress: Progress | None = None) -> RenderSummary:
    """Render + validate a loaded environment into a new directory `dest`; nothing is left
    there when it fails."""
    return _write(env, dest, progress).summary


def _write(env: Environment, dest: Path, progress: Progress | None) -> RenderedTree:
    tree = build_tree(env, progress)
    validate_tree(tree)
    try:
        write_tree(tree.files, dest, env.root)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return tree


def stage_one(
    root: Path, env_name: str, progress: Progress | None = None, steps: Path | None = None
) -> StagedEnv:
    """Render + validate one environment beside `rendered/<env>/`, not yet swapped in."""
    before = stamp.signature(root) if steps is None else None
    env = _load(root, env_name, steps)
    tree = build_tree(env, progress)
    dest = output_dir(root, env_name)
    validate_tree(tree)
    made = stamped(env, tree, before)
    if same_tree(tree.files, dest):
        return StagedEnv(tree.summary, None, dest, made)
    staging = stage_tree(tree.files, dest, root)
    return StagedEnv(tree.summary, staging, dest, made)


def stamped(
    env: Environment, tree: RenderedTree, before: Mapping[str, str] | None
) -> stamp.Stamp | None:
    """What a no-op render of `env` must find unchanged (`render.stamp`), made once the
    tree is known good; `before`: the inputs as they were when the render began."""
    if not (env.root / CRD_DIR).is_dir():
        return None  # validation would read CRD schemas from elsewhere (`validate._crd_dirs`)
    folders = []
    for directory in (env.base_dir, *env.layer_dirs):
        try:
            folders.append(directory.relative_to(env.root).as_posix())
        except ValueError:
            return None
    chart_files = [f for e in tree.lock.entries.values() for f in chart_cache.files(e.digest)]
    return stamp.prepare(env.root, tree.summary, before, folders, chart_files, tree.files)


@dataclass(frozen=True)
class StagedEnv:
    summary: RenderSummary
    staging: Path | None  # None: rendered/<env>/ already holds exactly this tree
    dest: Path
    stamp: stamp.Stamp | None = None  # recorded once the tree is in place


def render_one(root: Path, env_name: str, progress: Progress | None = None) -> RenderSummary:
    """Render + validate into `rendered/<env>/` atomically."""
    return render_envs(root, [env_name], progress=progress)[0]


def _stage_quiet(args: tuple[Path, str, Path | None]) -> StagedEnv:
    root, name, steps = args
    ahead.disable()  # a worker renders several environments: Hera stays imported in it
    return stage_one(root, name, None, steps)


def render_envs(
    root: Path,
    envs: Sequence[str],
    jobs: int = 1,
    progress: Progress | None = None,
    steps: Path | None = None,
) -> list[RenderSummary]:
    """All environments or none: each is rendered and validated beside its tree, and only
    when every one succeeded are they swapped in. `jobs > 1` renders in processes, with
    output identical to a serial run; the first failure (in the order given) is raised.
    Each environment's lock is held from before its render until after its swap; `steps`
    travels to the workers as an argument, whatever the process start method."""
    with ExitStack() as locks:
        for name in sorted(set(envs)):
            require_environment(root, name)  # a bad name fails before any lock file is made
            locks.enter_context(env_lock(root, name))
        return _render_locked(root, envs, jobs, progress, steps)


def _render_locked(
    root: Path, envs: Sequence[str], jobs: int, progress: Progress | None, steps: Path | None
) -> list[RenderSummary]:
    staged: list[StagedEnv] = []
    failures: list[BaseException] = []
    try:
        if jobs <= 1 or len(envs) <= 1:
            for name in envs:
                staged.append(stage_one(root, name, progress, steps))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_stage_quiet, (root, name, steps)) for name in envs]
                for future in futures:
                    try:
                        staged.append(future.result())
                    except BaseException as err:  # collected: the others must be cleaned up
                        failures.append(err)
        if failures:
            raise failures[0]
    except BaseException:
        for item in staged:
            if item.staging is not None:
                discard(item.staging)
        raise
    for item in staged:
        if item.staging is not None:
            stamp.forget(root, item.summary.env)  # a swap cut short leaves no stale stamp
            swap_in(item.staging, item.dest, root)
        if item.stamp is not None:
            stamp.record(root, item.stamp)
    return [item.summary for item in staged]
