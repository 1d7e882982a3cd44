"""Profile whole `bkgen` commands with cProfile and print where their time goes.

Each command runs as `python -m cProfile -o FILE -m bkgen ARGS` in the project (or in a
copy of it, for commands that write), then the top entries by cumulative and by own time
are printed, paths stripped. The profiler slows pure-Python code more than C code: read
the shares, not the seconds.
Run: .venv/bin/python bench/profile.py [render|check|validate|version ...] [--top N]
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "render": ["render", "default"],
    "check": ["check"],
    "validate": ["validate", "default"],
    "version": ["--version"],
}


def profile(args: list[str], out: Path) -> None:
    """Without the render cache: a warm cache (or a stamp) would profile a lookup."""
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "bkgen", *args],
        cwd=ROOT,
        env={**os.environ, "BKGEN_CACHE_DIR": "off"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bkgen {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}")


def top(path: Path, order: str, count: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(str(path), stream=stream)
    stats.strip_dirs().sort_stats(order).print_stats(count)
    text = stream.getvalue()
    return text[text.index("   ncalls") :].rstrip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("commands", nargs="*", default=list(COMMANDS), choices=list(COMMANDS))
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in options.commands:
            out = Path(tmp) / f"{name}.prof"
            profile(COMMANDS[name], out)
            print(f"## bkgen {' '.join(COMMANDS[name])}\n")
            print(f"by cumulative time:\n{top(out, 'cumulative', options.top)}\n")
            print(f"by own time:\n{top(out, 'tottime', options.top // 2)}\n")


if __name__ == "__main__":
    main()
