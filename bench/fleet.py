"""Fleet rendering benchmark: `bkgen render --all` over N environments, -j 1 against -j 2.

Copies the project's overlays into a scratch project, clones `default` and `prod` into N
environments (alternating, each with its own domain so no two trees are alike), then times
whole `bkgen render --all -q -j J` processes. Prints min / median / max wall seconds per
(N, J) and the speed-up of -j 2. The render is offline; a render that waited on DNS would
show here as -j 2 no faster than -j 1.

    python bench/fleet.py [--envs 20,50] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from bkgen_process import timed

ROOT = Path(__file__).resolve().parent.parent


def make_fleet(dest: Path, count: int) -> None:
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    overlays = dest / "overlays"
    templates = [overlays / "default", overlays / "prod"]
    for i in range(count):
        source = templates[i % 2]
        target = overlays / f"site-{i:03d}"
        shutil.copytree(source, target)
        env_yaml = target / "env.yaml"
        env_yaml.write_text(
            env_yaml.read_text().replace(f"rendered/{source.name}", f"rendered/{target.name}")
        )
        custom = target / "custom.yaml"
        custom.write_text(
            custom.read_text().replace("bkce7.bktencent.com", f"site{i:03d}.bk.example.com")
        )
    for source in templates:
        shutil.rmtree(source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="20,50", help="comma-separated fleet sizes")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'envs':>5} {'jobs':>4} {'min s':>7} {'median s':>9} {'max s':>7}  speed-up")
    for count in (int(n) for n in args.envs.split(",")):
        with tempfile.TemporaryDirectory(prefix="bkgen-fleet-") as scratch:
            project = Path(scratch) / "project"
            make_fleet(project, count)
            medians: dict[int, float] = {}
            for jobs in (1, 2):
                times = [
                    timed(["render", "--all", "-q", "-j", str(jobs)], project)
                    for _ in range(args.runs)
                ]
                medians[jobs] = statistics.median(times)
                speed = "" if jobs == 1 else f"  x{medians[1] / medians[2]:.2f}"
                print(
                    f"{count:>5} {jobs:>4} {min(times):>7.2f} {medians[jobs]:>9.2f} "
                    f"{max(times):>7.2f}{speed}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
