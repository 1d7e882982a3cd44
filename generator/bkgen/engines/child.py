"""A bounded child process for an engine that cannot be trusted to stop: Helm's Go runtime.

Why a child: the Go runtime inside helm_python aborts the whole process on a goroutine
stack overflow (deep `tpl` recursion) or when it runs out of memory, and a Go template loop
cannot be interrupted from Python. In a child, an address-space ceiling (`RLIMIT_AS`, set
before the engine loads), a crash, or a kill on timeout costs only the child, and the
parent turns it into one line. The child gets no environment of the caller (only what the
interpreter needs to import bkgen) and runs from the package directory.

Protocol, one JSON document per line: the parent writes `{"memory": bytes}` and then one
job per line; the worker (`serve`) answers each job with one result line, in order and
flushed, so the parent knows which job a crash or a timeout hit. Jobs go one at a time
(request, answer), so neither pipe can fill while the other side waits.

This module must not know what the jobs mean: `engines/gotmpl.py` and `render/helm.py`
build them and read their answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

_GO_FATAL = re.compile(r"^(?:fatal error|runtime): ([^\n/]{1,200})$", re.M)
START_SECONDS = 1.0  # the interpreter and the Go runtime, before the first job
MAX_STDERR = 64 * 1024


class ChildDied(Exception):
    """The child ran out of time (`timed_out`) or stopped; `reason` is one line."""

    def __init__(self, reason: str, *, timed_out: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


def _child_env(memory: int) -> dict[str, str]:
    """Only what the interpreter needs to import bkgen; nothing of the caller's environment.
    GOMEMLIMIT makes the Go collector work hard before the ceiling is reached."""
    package_parent = Path(__file__).resolve().parents[2]
    return {"PYTHONPATH": str(package_parent), "GOMEMLIMIT": str(memory // 2)}


class Child:
    """`python -m <module>` under an address-space ceiling; `ask` one job at a time."""

    def __init__(self, module: str, memory: int) -> None:
        self.memory = memory
        # unlinked at once: nothing is left on disk, whatever happens to either process
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        self._process = subprocess.Popen(
            [sys.executable, "-s", "-P", "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=_child_env(memory),
            cwd=str(Path(__file__).resolve().parent),
        )
        self._buffer = b""
        self._started = False
        self._send({"memory": memory})

    def __enter__(self) -> Child:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            with contextlib.suppress(OSError):
                assert process.stdin is not None
                process.stdin.close()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()

    def stderr_mark(self) -> int:
        """Where the child's stderr ends now: `stderr_since` reads what a job wrote."""
        self._stderr.seek(0, os.SEEK_END)
        return self._stderr.tell()

    def stderr_since(self, mark: int) -> str:
        self._stderr.seek(mark)
        return self._stderr.read(MAX_STDERR).decode("utf-8", errors="replace")

    def _send(self, document: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a dead child is found by the reader
            self._process.stdin.write(json.dumps(document).encode() + b"\n")
            self._process.stdin.flush()

    def ask(self, job: dict[str, Any], seconds: float) -> dict[str, Any]:
        """The child's answer to `job`; ChildDied when it takes more than `seconds` (plus the
        start-up for the first job) or stops. A dead child is not asked again."""
        if self._process.poll() is not None:
            raise ChildDied(self._death(), timed_out=False)
        # The child writes its stderr at the offset it shares with us: the end, always.
        self._stderr.seek(0, os.SEEK_END)
        self._send(job)
        extra = 0.0 if self._started else START_SECONDS
        self._started = True
        line = self._read_line(time.monotonic() + seconds + extra)
        if line is None:
            timed_out = self._process.poll() is None
            if timed_out:
                self._process.kill()
                self._process.wait()
                raise ChildDied(f"ran longer than {seconds:g} s", timed_out=True)
            raise ChildDied(self._death(), timed_out=False)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _read_line(self, deadline: float) -> bytes | None:
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    return None
                chunk = os.read(fd, 1 << 16)
                if not chunk:  # it closed its output: let it finish dying, to tell why
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self._process.wait(timeout=5)
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _death(self) -> str:
        said = self.stderr_since(max(0, self.stderr_mark() - MAX_STDERR))
        # Only the Go runtime's one-line reason: its stack trace names paths of this machine.
        reason = next((m.group(1) for m in _GO_FATAL.finditer(said)), "a crash")
        return f"stopped (exit {self._process.returncode}): {reason}"


def serve(handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The worker's side: set the ceiling from the first line, then answer each job line."""
    import resource

    header = json.loads(sys.stdin.readline())
    memory = int(header["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    for line in sys.stdin:
        if not line.strip():
            continue
        result = handle(json.loads(line))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
