"""Steps compiled ahead in their own process (`workflows.ahead`): the same documents and
the same errors as compiling here, and a compiler that dies only costs compiling here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bkgen.errors import RenderError
from bkgen.overlay.load import load_environment, release_namespace
from bkgen.workflows import StepSpec, ahead, render_step

FACTS = {"domains": ["bk.example.com"], "releases": ["app-secrets"]}


@pytest.fixture
def compiler() -> Iterator[ahead._Compiler]:
    """A compiling process of its own (the test process has Hera imported, so `start()`
    would rightly compile here)."""
    made = ahead._Compiler()
    ahead._state.compiler = made
    try:
        yield made
    finally:
        ahead._stop()


def _steps(repo_root: Path) -> list[tuple[StepSpec, dict[str, Any]]]:
    env = load_environment(repo_root, "default")
    return [
        (
            StepSpec(
                r.name,
                r.workflow,
                dict(r.params),
                release_namespace(env, r),
                env.plan.needs[r.name],
                r.suite,
            ),
            env.values.values,
        )
        for r in env.plan.releases
        if r.workflow
    ]


def test_steps_compiled_ahead_are_the_steps_compiled_here(
    repo_root: Path, compiler: ahead._Compiler
) -> None:
    steps = _steps(repo_root)
    started = [ahead.Step(repo_root, spec, values, "default", FACTS) for spec, values in steps]
    assert all(s.number is not None for s in started)  # sent before any is collected
    for step, (spec, values) in zip(reversed(started), reversed(steps), strict=True):
        assert step.documents() == render_step(repo_root, spec, values, "default", FACTS)
    assert compiler.process.poll() is None


def test_a_step_error_comes_back_as_the_same_error(
    repo_root: Path, compiler: ahead._Compiler
) -> None:
    spec, values = _steps(repo_root)[0]
    broken = StepSpec("nope", "no_such_step", {}, spec.namespace, (), spec.suite)
    with pytest.raises(Exception) as here:
        render_step(repo_root, broken, values, "default", FACTS)
    with pytest.raises(type(here.value)) as there:
        ahead.Step(repo_root, broken, values, "default", FACTS).documents()
    assert str(there.value) == str(here.value)


def test_a_dead_compiler_costs_only_compiling_here(
    repo_root: Path, compiler: ahead._Compiler
) -> None:
    spec, values = _steps(repo_root)[0]
    step = ahead.Step(repo_root, spec, values, "default", FACTS)
    compiler.process.kill()
    compiler.process.wait(5)
    assert step.documents() == render_step(repo_root, spec, values, "default", FACTS)
    assert ahead._state.compiler is None
    assert ahead.Step(repo_root, spec, values, "default", FACTS).number is None


def test_a_worker_or_a_process_with_hera_compiles_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead, "_state", ahead._State())
    assert "hera.workflows" in sys.modules  # imported by the tests above, or by others
    ahead.start()
    assert ahead._state.compiler is None
    monkeypatch.delitem(sys.modules, "hera.workflows")
    ahead.disable()
    ahead.start()
    assert ahead._state.compiler is None


def test_a_refused_step_error_keeps_its_location(
    repo_root: Path, compiler: ahead._Compiler, tmp_path: Path
) -> None:
    argo = tmp_path / "argo"
    argo.mkdir()
    (argo / "__init__.py").write_text("")
    (argo / "bad.py").write_text(
        "DESCRIPTION = 'x'\nRULES = []\ndef build(ctx):\n    raise ValueError('boom')\n"
    )
    spec = StepSpec("bad", "bad", {}, "blueking", (), "core")
    with pytest.raises(RenderError) as there:
        ahead.Step(tmp_path, spec, {}, "default", FACTS).documents()
    assert there.value.location is not None and there.value.location.path == "argo/bad.py"
    assert "ValueError: boom" in str(there.value)
