"""Benchmark `bkgen validate --strict` on 5,000 and 50,000 generated resources.

Prints, per size: whole-process wall time, peak RSS of the whole process tree
(main process + workers, sampled from /proc every 5 ms) and of its largest
process, resources/s; and the throughput of `kubernetes_validate.validate()`
called per resource in the same run.
Run: .venv/bin/python bench/validate.py [SIZES...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate

sys.path.insert(0, str(Path(__file__).parent))
from generate import resources, write

BKGEN = str(Path(sys.executable).parent / "bkgen")
OUT = Path(__file__).parent / "out"


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process; PSS splits pages shared after fork between the sharers."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return pids


def run_bkgen(directory: Path) -> tuple[float, float, float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [BKGEN, "validate", "--strict", "--summary", str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_rss = peak_pss = peak_one = 0
    while proc.poll() is None:
        sizes = [_memory_kb(p) for p in _tree(proc.pid)]
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(p for _, p in sizes))
        peak_one = max(peak_one, *(r for r, _ in sizes), 0)
        time.sleep(0.005)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"bkgen validate failed ({proc.returncode}): {out}{err}")
    print(f"    {out.strip()}")
    return wall, peak_pss / 1024, peak_rss / 1024, peak_one / 1024


def kubernetes_validate_rate(sample: int = 300) -> float:
    docs = resources(sample, seed=11)
    start = time.perf_counter()
    for doc in docs:
        kubernetes_validate.validate(doc, "1.23.0", strict=True)
    return sample / (time.perf_counter() - start)


def main(sizes: list[int]) -> None:
    kv_rate = kubernetes_validate_rate()
    print(f"kubernetes_validate.validate() per resource: {kv_rate:,.0f} resources/s")
    for size in sizes:
        directory = OUT / str(size)
        if not directory.is_dir():
            write(size, directory)
        run_bkgen(directory)  # warm the page cache so both sizes are measured alike
        wall, pss, rss, largest = run_bkgen(directory)
        rate = size / wall
        print(
            f"{size:>7,} resources: {wall:5.2f} s wall; peak memory {pss:5.1f} MB PSS / "
            f"{rss:5.1f} MB RSS summed over processes, {largest:5.1f} MB largest process; "
            f"{rate:,.0f} resources/s = {rate / kv_rate:,.0f}x kubernetes_validate"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5000, 50000])
