"""Time one whole `bkgen` process, the unit every benchmark here measures."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path


def timed(args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> float:
    """Wall seconds of `python -m bkgen ARGS`; a failing run ends the benchmark."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bkgen", *args],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise SystemExit(f"bkgen {' '.join(args)} failed: {detail}")
    return elapsed


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_tree(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> tuple[float, float, float]:
    """Wall seconds of `python -m bkgen ARGS`, and the peak resident MiB of its whole
    process tree (workers, engines, the step compiler) and of its largest process, sampled
    from /proc every 10 ms; a failing run ends the benchmark."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bkgen", *args],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree = largest = 0
    while process.poll() is None:
        sizes = [_rss_kb(p) for p in process_tree(process.pid)]
        tree, largest = max(tree, sum(sizes)), max(largest, max(sizes, default=0))
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    _, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"bkgen {' '.join(args)} failed: {err.strip()}")
    return elapsed, tree / 1024, largest / 1024
