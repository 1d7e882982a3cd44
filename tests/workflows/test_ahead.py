"""Steps compiled ahead in their own process (`workflows.ahead`): the same documents and
the same errors as compiling here, and a compiler that dies only costs compiling here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bkgen.errors import RenderError
from bkgen.overlay.load import load_environment
from bkgen.pipeline import step_spec
from bkgen.workflows import StepSpec, ahead, render_step

FACTS = {"domains": ["bk.example.com"], "releases": ["app-secrets"]}


@pytest.fixture
def compiler(monkeypatch: pytest.MonkeyPatch) -> Iterator[ahead._Compiler]:
    """A compiling process of its own (the test process has Hera imported, so `start()`
    would rightly compile here), in a state of its own."""
    monkeypatch.setattr(ahead, "_state", ahead._State())
    made = ahead._Compiler()
    ahead._state.compiler = made
    try:
        yield made
    finally:
        made.stop()


def _steps(repo_root: Path) -> list[tuple[StepSpec, dict[str, Any]]]:
    env = load_environment(repo_root, "default")
    return [(step_spec(env, r), env.values.values) for r in env.plan.releases if r.workflow]


def test_steps_compiled_ahead_are_the_steps_compiled_here(
    repo_root: Path, compiler: ahead._Compiler
) -> None:
    steps = _steps(repo_root)
    started = [ahead.Step(repo_root, spec, values, "default", FACTS) for spec, values in steps]
    assert all(s.sent is not None for s in started)  # sent before any is collected
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
    assert ahead.Step(repo_root, spec, values, "default", FACTS).sent is None


def test_a_compiler_dead_before_a_send_never_mixes_answers(
    repo_root: Path, compiler: ahead._Compiler
) -> None:
    steps = _steps(repo_root)
    early = [ahead.Step(repo_root, spec, values, "default", FACTS) for spec, values in steps[:3]]
    compiler.process.kill()
    compiler.process.wait(5)
    late = [ahead.Step(repo_root, spec, values, "default", FACTS) for spec, values in steps[3:]]
    for step, (spec, values) in zip([*early, *late], steps, strict=True):
        assert step.documents() == render_step(repo_root, spec, values, "default", FACTS)


def test_a_forked_worker_never_uses_its_parent_s_compiler(compiler: ahead._Compiler) -> None:
    pid = os.fork()
    if pid == 0:  # the child: it must not see the parent's pipes as its own
        os._exit(0 if ahead._state.compiler is None and not ahead._state.enabled else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ahead._state.compiler is compiler  # the parent keeps it


def test_the_checkout_s_modules_never_shadow_the_compiler_s(
    repo_root: Path, compiler: ahead._Compiler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request adding `hera/` or `queue.py` at its root runs nothing: the compiling
    process does not put the current directory on sys.path."""
    marker = tmp_path / "ran"
    for name in ("hera/__init__.py", "queue.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    monkeypatch.chdir(tmp_path)
    made = ahead._Compiler()
    try:
        spec, values = _steps(repo_root)[0]
        ahead._state.compiler = made
        step = ahead.Step(repo_root, spec, values, "default", FACTS)
        assert step.documents() == render_step(repo_root, spec, values, "default", FACTS)
    finally:
        made.stop()
    assert not marker.exists()


def test_a_worker_or_a_process_with_hera_compiles_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead, "_state", ahead._State())
    assert "hera.workflows" in sys.modules  # imported by the tests above, or by others
    ahead.start()
    assert ahead._state.compiler is None
    monkeypatch.delitem(sys.modules, "hera.workflows")
    ahead.disable()
    ahead.start()
    assert ahead._state.compiler is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("class Boom(Exception):\n    pass\nraise Boom('at import')\n", "Boom: at import"),
        ("DESCRIPTION = 'x'\nRULES = [\n", "SyntaxError"),
    ],
)
def test_a_step_that_fails_at_import_is_one_error_here_and_there(
    compiler: ahead._Compiler, tmp_path: Path, source: str, expected: str
) -> None:
    argo = tmp_path / "argo"
    argo.mkdir()
    (argo / "__init__.py").write_text("")
    (argo / "bad.py").write_text(source)
    spec = StepSpec("bad", "bad", {}, "blueking", (), "core")
    with pytest.raises(RenderError) as here:
        render_step(tmp_path, spec, {}, "default", FACTS)
    with pytest.raises(RenderError) as there:
        ahead.Step(tmp_path, spec, {}, "default", FACTS).documents()
    assert str(there.value) == str(here.value)
    assert expected in str(here.value) and str(tmp_path) not in str(here.value)
    assert str(here.value).startswith("argo/bad.py")


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


def test_a_changed_step_is_compiled_anew_in_the_same_process(
    repo_root: Path, tmp_path: Path
) -> None:
    """argo/ is imported by place and content: a process that compiles again after a step
    changed (a long-lived one, or the compiling process) never serves the old step."""
    import shutil

    shutil.copytree(repo_root / "argo", tmp_path / "argo")
    spec, values = _steps(repo_root)[0]
    module = tmp_path / "argo" / f"{spec.module}.py"

    def description() -> str:
        docs = render_step(tmp_path, spec, values, "default", FACTS)
        template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
        return str(template["metadata"]["annotations"]["workflows.argoproj.io/description"])

    before = description()
    text = module.read_text()
    module.write_text(text.replace("DESCRIPTION = ", "DESCRIPTION = 'changed: ' + ", 1))
    assert description() == "changed: " + before
