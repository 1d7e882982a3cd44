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
