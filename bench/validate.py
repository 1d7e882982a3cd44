"""Benchmark `bkgen validate --strict` against kubeconform on 5,000 and 50,000 resources.

Prints, per size: whole-process wall time (median of --runs whole processes), peak RSS of
the whole process tree (main process + workers, sampled from /proc every 5 ms) and of its
largest process, resources/s; the same for kubeconform 0.7.0 (`-strict -n 2`, offline,
the schemas kubernetes-validate bundles, `../shared/tools`) in the same run, alternating
with bkgen, and the wall-time ratio bkgen/kubeconform (below 1: bkgen is faster). Without
the peer it says so and measures bkgen alone. Also the throughput of
`kubernetes_validate.validate()` called per resource.
Run: .venv/bin/python bench/validate.py [SIZES...] [--runs N] [--jobs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate

sys.path.insert(0, str(Path(__file__).parent))
from bkgen_process import process_tree
from generate import resources, write

BKGEN = str(Path(sys.executable).parent / "bkgen")
OUT = Path(__file__).parent / "out"
PEER = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "kubeconform-offline"
KUBE = "1.23.0"


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


def measure(command: list[str]) -> tuple[float, float, float, float, str]:
    """Wall seconds, peak PSS/RSS summed over the process tree, largest RSS (MiB), output."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_rss = peak_pss = peak_one = 0
    while proc.poll() is None:
        sizes = [_memory_kb(p) for p in process_tree(proc.pid)]
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(p for _, p in sizes))
        peak_one = max(peak_one, *(r for r, _ in sizes), 0)
        time.sleep(0.005)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({proc.returncode}): {out}{err}")
    return wall, peak_pss / 1024, peak_rss / 1024, peak_one / 1024, (out + err).strip()


def bkgen_command(directory: Path, jobs: int) -> list[str]:
    return [
        BKGEN,
        "validate",
        "--strict",
        "--summary",
        "-j",
        str(jobs),
        "--kube-version",
        KUBE.rsplit(".", 1)[0],
        str(directory),
    ]


def peer_command(directory: Path, jobs: int) -> list[str]:
    files = sorted(str(p) for p in directory.rglob("*.yaml"))
    return [
        str(PEER),
        sys.executable,
        "-kubernetes-version",
        KUBE,
        "-strict",
        "-n",
        str(jobs),
        "-summary",
        *files,
    ]


def _median(runs: list[tuple[float, float, float, float, str]]) -> tuple[float, float, float]:
    return (
        statistics.median(r[0] for r in runs),
        max(r[1] for r in runs),
        max(r[3] for r in runs),
    )


def kubernetes_validate_rate(sample: int = 300) -> float:
    docs = resources(sample, seed=11)
    start = time.perf_counter()
    for doc in docs:
        kubernetes_validate.validate(doc, "1.23.0", strict=True)
    return sample / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[5000, 50000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    kv_rate = kubernetes_validate_rate()
    print(f"kubernetes_validate.validate() per resource: {kv_rate:,.0f} resources/s")
    peer = PEER.is_file()
    if not peer:
        print("kubeconform: peer not available (../shared/tools absent); bkgen alone")
    for size in options.sizes:
        directory = OUT / str(size)
        if not directory.is_dir():
            write(size, directory)
        ours: list[tuple[float, float, float, float, str]] = []
        theirs: list[tuple[float, float, float, float, str]] = []
        measure(bkgen_command(directory, options.jobs))  # warm the page cache for both
        for _ in range(options.runs):  # alternating, so both see the same machine load
            ours.append(measure(bkgen_command(directory, options.jobs)))
            if peer:
                theirs.append(measure(peer_command(directory, options.jobs)))
        print(f"    bkgen: {ours[-1][4].splitlines()[-1]}")
        wall, pss, largest = _median(ours)
        print(
            f"{size:>7,} resources, bkgen -j{options.jobs}: {wall:5.2f} s wall (median of "
            f"{options.runs}), peak {pss:5.1f} MiB PSS summed, {largest:5.1f} MiB largest "
            f"process; {size / wall:,.0f} resources/s"
        )
        if peer:
            print(f"    kubeconform: {theirs[-1][4].splitlines()[-1]}")
            peer_wall, peer_pss, _ = _median(theirs)
            print(
                f"{size:>7,} resources, kubeconform -n {options.jobs}: {peer_wall:5.2f} s wall, "
                f"peak {peer_pss:5.1f} MiB PSS; {size / peer_wall:,.0f} resources/s"
            )
            print(
                f"{size:>7,} resources: wall ratio bkgen/kubeconform {wall / peer_wall:.2f} "
                f"({peer_wall / wall:.2f}x kubeconform's speed)"
            )


if __name__ == "__main__":
    main()
