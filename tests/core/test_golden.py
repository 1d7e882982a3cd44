"""The committed rendered/ trees are the golden files: a fresh render must equal them.

Regenerate deliberately with `pytest --update-golden` (or `bkgen render --all`) and review
the diff of rendered/ like any other change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bkgen.overlay.names import list_environments
from bkgen.pipeline import render_env_to, render_one


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "env", ["default", "prod", "skiff", "bklog-dev", "bklog-stag", "bklog-prod"]
)
def test_rendered_tree_matches_golden(
    repo_root: Path, tmp_path: Path, env: str, request: pytest.FixtureRequest
) -> None:
    if request.config.getoption("--update-golden"):
        render_one(repo_root, env)
    fresh = tmp_path / env
    render_env_to(repo_root, env, fresh)
    golden = _files(repo_root / "rendered" / env)
    produced = _files(fresh)
    assert sorted(produced) == sorted(golden), "file set differs: run `bkgen render --all`"
    changed = [name for name in produced if produced[name] != golden[name]]
    assert not changed, f"{len(changed)} files differ, e.g. {changed[:5]}"


def test_every_environment_is_committed(repo_root: Path) -> None:
    rendered = {p.name for p in (repo_root / "rendered").iterdir() if p.is_dir()}
    assert rendered == set(list_environments(repo_root))


def test_parallel_render_equals_serial(repo_root: Path, tmp_path: Path) -> None:
    """`bkgen render --all -j 2` writes the same bytes as a serial run."""
    from bkgen.pipeline import render_envs

    project = tmp_path / "p"
    for part in ("overlays", "schemas", "argo"):
        if (repo_root / part).is_dir():
            shutil.copytree(
                repo_root / part, project / part, ignore=shutil.ignore_patterns("__pycache__")
            )
    envs = list_environments(project)
    render_envs(project, envs, jobs=1)
    serial = {e: _files(project / "rendered" / e) for e in envs}
    shutil.rmtree(project / "rendered")
    render_envs(project, envs, jobs=2)
    assert {e: _files(project / "rendered" / e) for e in envs} == serial
