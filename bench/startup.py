"""Start-up: how long `bkgen --version`, `bkgen --help` and `bkgen catalog --help` take.

Every command imports the core it needs when it runs (docs/cli.md), so these pay only for
click and the command table. Prints min / median / max wall seconds of whole processes,
and a bare `python -c pass` as the floor.

    python bench/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bkgen_process import timed  # noqa: E402


def _floor() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    cases = {
        "python -c pass": _floor,
        "bkgen --version": lambda: timed(["--version"], ROOT),
        "bkgen --help": lambda: timed(["--help"], ROOT),
        "bkgen catalog --help": lambda: timed(["catalog", "--help"], ROOT),
    }
    for name, run in cases.items():
        times = sorted(run() for _ in range(runs))
        print(
            f"{name:<24} min {times[0]:.3f} s  median {statistics.median(times):.3f} s  "
            f"max {times[-1]:.3f} s  ({runs} runs)"
        )


if __name__ == "__main__":
    main()
