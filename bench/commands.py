"""The everyday commands as whole processes: `--version`, `render default` cold and no-op,
`check`, each --runs times (default 5), min / median / max wall seconds and peak RSS.

Runs in this checkout (a render of unchanged inputs leaves `rendered/` as it is), or with
--project DIR in another checkout with its own `generator/` first on PYTHONPATH (e.g. an
older commit, `git archive REV | tar -x -C DIR`), to compare two versions on one machine. "cold"
means an empty render cache (a new BKGEN_CACHE_DIR per run), "warm" the cache the previous
run left, "off" no cache at all (BKGEN_CACHE_DIR=off).

    python bench/commands.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `python -m bkgen ARGS`; a failure ends it."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bkgen", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"bkgen {' '.join(args)} failed: {err.strip()}")
    return wall, usage.ru_maxrss / 1024


def row(label: str, runs: list[tuple[float, float]]) -> None:
    times = [t for t, _ in runs]
    print(
        f"{label:<40} {min(times):>6.2f} {statistics.median(times):>8.2f} {max(times):>6.2f}"
        f" {max(m for _, m in runs):>8.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--project", type=Path, default=ROOT)
    options = parser.parse_args()
    n = options.runs
    project = options.project.resolve()
    with tempfile.TemporaryDirectory(prefix="bkgen-bench-") as scratch:
        base = {**os.environ}
        if project != ROOT:
            base["PYTHONPATH"] = str(project / "generator")
        off = {**base, "BKGEN_CACHE_DIR": "off"}
        warm = {**base, "BKGEN_CACHE_DIR": str(Path(scratch) / "warm")}

        def cold(index: int) -> dict[str, str]:
            return {**base, "BKGEN_CACHE_DIR": str(Path(scratch) / f"cold-{index}")}

        def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
            return timed(args, env, project)

        print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
        print(f"{'command':<40} {'min s':>6} {'median s':>8} {'max s':>6} {'peak MiB':>8}")
        row("bkgen --version", [run(["--version"], off) for _ in range(n)])
        row("render default (no cache)", [run(["render", "default"], off) for _ in range(n)])
        row("render default (cold cache)", [run(["render", "default"], cold(i)) for i in range(n)])
        run(["render", "default"], warm)
        row(
            "render default again (no-op, warm)",
            [run(["render", "default"], warm) for _ in range(n)],
        )
        row("check (no cache)", [run(["check"], off) for _ in range(n)])
        run(["check"], warm)
        row("check (nothing changed, warm)", [run(["check"], warm) for _ in range(n)])


if __name__ == "__main__":
    main()
