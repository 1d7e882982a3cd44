"""Fleet rendering benchmarks: one machine (default), and the Argo fleet Workflow (`--workflow`).

Default: copies the project's overlays into a scratch project, clones `default` and `prod`
into N environments (alternating, each with its own domain so no two trees are alike), then
times whole `bkgen render --all -q -j J` processes, cold (empty render cache) and warm (the
cache of an earlier render, rendered/ removed). Prints the median wall seconds, seconds per
environment, the peak resident MiB of the process tree and of its largest process per
(N, cache, J), and the speed-up of -j 2. The render is offline; a render that waited on DNS would
show here as -j 2 no faster than -j 1.

`--workflow`: the fleet Workflow on K workers. Measures here, as whole processes, what one shard
pod pays: cloning the overlay repository, bkgen's start-up, one environment's render +
validate (`bkgen render ENV`), and the fan-in (`report`, the real script from
`bkgen.workflows.fleet_scripts` under bash, fed N shard results). Then schedules the shards
`bkgen workflows fleet` plans for N environments on K workers (longest shard first, as a
fair Argo scheduler with `parallelism: K` would at best) and prints wall time against the
serial time of one machine, and the fan-in's share. A pod's scheduling and start (image
pulled once per node) cannot be measured here: `--pod-start` (default 5 s) is added to every
shard and to the fan-in. The fan-in's input is the environment
names and each shard's status, so its time is the same at x1 and x10 render cost: the table
shows both.

    python bench/fleet.py [--envs 20,50] [--runs 3]
    python bench/fleet.py --workflow [--envs 20,100,500] [--workers 4,16,48] [--pod-start 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bkgen_process import timed_tree

from bkgen.overlay.new_env import create_environment
from bkgen.workflows.fleet import plan_shards
from bkgen.workflows.fleet_scripts import REPORT

ROOT = Path(__file__).resolve().parent.parent


def make_fleet(dest: Path, count: int) -> None:
    """N environments cloned from `default` and `prod` as `bkgen env new --from` makes them
    (each its own domain, rendered path and Argo CD project), then the two sources removed."""
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    sources = ("default", "prod")
    for i in range(count):
        create_environment(
            dest, f"site-{i:03d}", source=sources[i % 2], domain=f"site{i:03d}.bk.example.com"
        )
    for source in sources:
        shutil.rmtree(dest / "overlays" / source)


def local(args: argparse.Namespace) -> None:
    """Cold: an empty render cache, no rendered/ (nothing to reuse). Warm: the render cache
    a previous render of the same fleet filled, rendered/ removed (so every release is
    looked up, none rendered, and no environment is answered by its stamp)."""
    print(
        f"{'envs':>5} {'cache':>5} {'jobs':>4} {'median s':>9} {'s/env':>6} "
        f"{'tree MiB':>9} {'largest':>8}  speed-up"
    )
    for count in (int(n) for n in args.envs.split(",")):
        with tempfile.TemporaryDirectory(prefix="bkgen-fleet-") as scratch:
            base = Path(scratch)
            project = base / "project"
            make_fleet(project, count)
            warm = {**os.environ, "BKGEN_CACHE_DIR": str(base / "warm-cache")}
            timed_tree(["render", "--all", "-q", "-j", "2"], project, warm)  # fills it
            for mode in ("cold", "warm"):
                medians: dict[int, float] = {}
                for jobs in (1, 2):
                    runs = []
                    for run in range(args.runs):
                        shutil.rmtree(project / "rendered", ignore_errors=True)
                        cache = base / f"cold-{jobs}-{run}" if mode == "cold" else None
                        env = (
                            warm if cache is None else {**os.environ, "BKGEN_CACHE_DIR": str(cache)}
                        )
                        runs.append(
                            timed_tree(["render", "--all", "-q", "-j", str(jobs)], project, env)
                        )
                    medians[jobs] = statistics.median(r[0] for r in runs)
                    tree = max(r[1] for r in runs)
                    largest = max(r[2] for r in runs)
                    speed = "" if jobs == 1 else f"  x{medians[1] / medians[2]:.2f}"
                    print(
                        f"{count:>5} {mode:>5} {jobs:>4} {medians[jobs]:>9.2f} "
                        f"{medians[jobs] / count:>6.3f} {tree:>9.0f} {largest:>8.0f}{speed}",
                        flush=True,
                    )


def _seconds(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(project: Path, runs: int) -> dict[str, float]:
    """Median seconds of the parts of a shard pod, on this machine."""
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "b"],
        cwd=project,
        check=True,
    )
    bare = project.parent / "overlays.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(project), str(bare)], check=True)

    def median(command: list[str]) -> float:
        return statistics.median(_seconds(command, project.parent) for _ in range(runs))

    clone_dir = project.parent / "clone"
    clone = statistics.median(_clone_once(bare, clone_dir) for _ in range(runs))
    start = median([sys.executable, "-m", "bkgen", "--version"])
    render = median(
        [sys.executable, "-m", "bkgen", "render", "site-000", "-q", "--root", str(project)]
    )
    return {"clone": clone, "start": start, "render": render - start}


def _clone_once(bare: Path, target: Path) -> float:
    took = _seconds(["git", "clone", "-q", str(bare), str(target)], bare.parent)
    shutil.rmtree(target)
    return took


def fan_in_seconds(shards: list[tuple[str, ...]], runs: int) -> float:
    """The real report script over these shards' results (all succeeded)."""
    results = "".join(f"shard-{i}|Succeeded||{' '.join(s)}\n" for i, s in enumerate(shards))
    env = {"P_RESULTS": results, "PATH": "/usr/bin:/bin"}
    return statistics.median(
        _seconds(["bash", "-c", REPORT], Path(tempfile.gettempdir()), env) for _ in range(runs)
    )


def schedule(durations: list[float], workers: int) -> float:
    """Makespan of longest-first list scheduling on `workers`."""
    finish = [0.0] * workers
    for took in sorted(durations, reverse=True):
        slot = finish.index(min(finish))
        finish[slot] += took
    return max(finish)


def workflow(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bkgen-fleet-") as scratch:
        project = Path(scratch) / "project"
        make_fleet(project, 2)
        cost = measure(project, args.runs)
    # a shard pod: scheduling + container start (assumed, --pod-start), clone, one bkgen
    # start-up, its renders, a push (a local push costs about a clone)
    overhead = args.pod_start + cost["clone"] + cost["start"] + cost["clone"]
    print(
        f"measured: clone {cost['clone']:.2f} s, bkgen start-up {cost['start']:.2f} s, "
        f"render+validate {cost['render']:.2f} s per environment; "
        f"assumed pod start {args.pod_start:.1f} s"
    )
    print(
        f"{'envs':>5} {'K':>3} {'shards':>6} {'render':>6} {'serial s':>9} {'wall s':>8} "
        f"{'speed-up':>8} {'fan-in s':>8} {'fan-in %':>8}"
    )
    for count in (int(n) for n in args.envs.split(",")):
        envs = [f"site-{i:04d}" for i in range(count)]
        for workers in (int(k) for k in args.workers.split(",")):
            shards = plan_shards(envs, min(count, workers))
            fan_in = args.pod_start + fan_in_seconds(shards, args.runs)
            for factor in (1, 10):
                render = cost["render"] * factor
                serial = cost["start"] + count * render + overhead
                wall = schedule([overhead + len(s) * render for s in shards], workers) + fan_in
                print(
                    f"{count:>5} {workers:>3} {len(shards):>6} {'x' + str(factor):>6} "
                    f"{serial:>9.1f} {wall:>8.1f} {serial / wall:>7.1f}x "
                    f"{fan_in:>8.3f} {100 * fan_in / wall:>7.2f}%",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflow", action="store_true", help="the fleet Workflow on K pods")
    parser.add_argument("--envs", default=None, help="comma-separated fleet sizes")
    parser.add_argument("--workers", default="4,16,48", help="parallel pods (K)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--pod-start",
        type=float,
        default=5.0,
        help="seconds Argo takes to schedule and start a pod (not measurable here)",
    )
    args = parser.parse_args()
    if args.workflow:
        args.envs = args.envs or "20,100,500"
        workflow(args)
    else:
        args.envs = args.envs or "20,50"
        local(args)


if __name__ == "__main__":
    main()
