"""Steps compiled in a second process, started before the render needs them.

Every step builds its WorkflowTemplate with Hera, and importing Hera is half a second of
Python (its pydantic models): half of a cold `bkgen render default`. Imported in this
process it would run on the same core as everything else; imported in a process of its
own, started as soon as a command knows it will render, it runs on the second core while
this one imports the pipeline, loads the overlays and renders charts and templates.

The process is `python -m bkgen.workflows.ahead`, not a fork: it inherits no lock, file or
thread of this one, and does not re-run the caller's main module. It imports Hera at once,
then compiles the steps it is sent, in order, with the same `render_step`, and answers each
with its documents or its error (pickled, both ends bkgen; a step module runs there with
the trust it has here). It is killed when this process exits: nothing it could still be
doing is needed then. When it cannot be started
or dies, steps are compiled here as before. A fleet's workers compile in their own
process (`disable`): each keeps Hera imported for all the environments it renders.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import itertools
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bkgen.errors import RenderError
from bkgen.workflows.api import StepSpec
from bkgen.workflows.compile import render_step

_HERA = "hera.workflows"


def serve() -> None:
    """The compiling process (`python -m bkgen.workflows.ahead`): Hera first, then one
    answer per job, in order. Jobs are read by a thread meanwhile, so the caller never
    waits to send; anything a step prints goes to stderr, not into the answers."""
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    jobs = Connection(0, writable=False)
    waiting: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        while True:
            try:
                waiting.put(jobs.recv())
            except (EOFError, OSError):
                waiting.put(None)
                return

    threading.Thread(target=read, daemon=True).start()
    with contextlib.suppress(Exception):  # a failed import is reported by the first step
        importlib.import_module(_HERA)
    while (job := waiting.get()) is not None:
        number, args = job
        try:
            answer: tuple[str, Any] = ("ok", render_step(*args))
        except Exception as err:
            answer = ("error", err)
        try:
            answers.send((number, answer))
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            message = f"the step's error could not be passed back: {type(err).__name__}"
            answers.send((number, ("error", RenderError(message))))


class _Compiler:
    def __init__(self) -> None:
        # -P: the current directory (a pull request's checkout) is not on sys.path, so a
        # `hera/` or `queue.py` it adds is never imported in place of the real one.
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        # The connections own their descriptors (they close them): copies, not Popen's.
        self.jobs = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.answers_in = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.numbers = itertools.count()
        self.answers: dict[int, tuple[str, Any]] = {}
        self.alive = True

    def send(self, args: tuple[Any, ...]) -> int:
        number = next(self.numbers)
        self.jobs.send((number, args))
        return number

    def answer(self, number: int) -> tuple[str, Any]:
        while number not in self.answers:
            got, answer = self.answers_in.recv()
            self.answers[got] = answer
        return self.answers.pop(number)

    def stop(self) -> None:
        self.alive = False
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.jobs.close()
        self.answers_in.close()


class _State:
    compiler: _Compiler | None = None
    enabled = True


_state = _State()


def _forked() -> None:
    """A forked child (a fleet worker) shares the parent's pipes to the compiling process:
    it must never use them, or two processes read each other's answers."""
    _state.compiler = None
    _state.enabled = False


os.register_at_fork(after_in_child=_forked)


def disable() -> None:
    """Compile in this process from now on (a worker that renders many environments)."""
    _state.enabled = False
    _state.compiler = None  # one inherited from a parent is the parent's, not stopped here


def start() -> None:
    """Spawn the compiling process, once, unless Hera is imported here already (compiling
    here then costs nothing more) or this process compiles its own steps."""
    if not _state.enabled or _state.compiler is not None or _HERA in sys.modules:
        return
    try:
        _state.compiler = _Compiler()
    except (OSError, RuntimeError):
        _state.compiler = None
        return
    atexit.register(_stop)


def _stop() -> None:
    """Stop the compiling process; one that failed is not started again in this process."""
    if _state.compiler is not None:
        _state.compiler.stop()
        _state.compiler = None
        _state.enabled = False


class Step:
    """One step's compilation, begun now and collected with `documents()`."""

    def __init__(
        self,
        root: Path,
        step: StepSpec,
        values: Mapping[str, Any],
        env: str,
        extra: Mapping[str, Any],
    ) -> None:
        self.args = (root, step, dict(values), env, dict(extra))
        start()
        # The answer is read from the compiler this job was sent to, never from a later one.
        self.sent: tuple[_Compiler, int] | None = None
        compiler = _state.compiler
        if compiler is not None:
            try:
                self.sent = (compiler, compiler.send(self.args))
            except (OSError, pickle.PicklingError, TypeError, AttributeError):
                _stop()

    def documents(self) -> list[dict[str, Any]]:
        """The step's manifests, as `render_step` makes them here."""
        if self.sent is not None and self.sent[0].alive:
            compiler, number = self.sent
            try:
                status, value = compiler.answer(number)
            except Exception:
                _stop()  # compile here from now on: the error, if any, is raised here
            else:
                if status == "error":
                    raise value
                return list(value)
        return render_step(*self.args)


if __name__ == "__main__":
    serve()
