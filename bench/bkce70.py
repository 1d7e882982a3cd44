"""The real BlueKing 7.0 tree: import it, render it, render it again with nothing changed.

Copies `../shared/bkce70` and adds what a first install generates (tests/importers/bkce70.py),
then times whole `bkgen` processes: `import helmfile` (with `--bundled-versions`), the first
render after the operator's decisions of docs/import.md (an empty render cache), and no-op
re-renders (the cache the first render filled). Prints min /
median / max wall seconds and the largest resident set of the runs. Says so and exits 0
when the shared tree is absent.

    python bench/bkce70.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bkgen_process import timed  # noqa: E402

from tests.importers.bkce70 import BKCE70, installed  # noqa: E402
from tests.importers.test_helmfile_import import decide, drop_ignored, project  # noqa: E402


def row(label: str, times: list[float]) -> None:
    print(f"{label:<30} {min(times):>6.2f} {statistics.median(times):>8.2f} {max(times):>6.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not (BKCE70 / "base.yaml.gotmpl").is_file():
        print("skipped: the real BlueKing 7.0 tree (../shared/bkce70) is absent")
        return 0
    imports: list[float] = []
    first: list[float] = []
    noop: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bkgen-bench-") as scratch:
            base = Path(scratch)
            tree = installed(base)
            root = project(base)
            command = ["import", "helmfile", "bkce70", str(tree), "--bundled-versions"]
            imports.append(timed([*command, "--root", str(root), "--dry-run"], root))
            report = subprocess.run(
                [sys.executable, "-m", "bkgen", *command, "--root", str(root), "-o", "json"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            drop_ignored(root, json.loads(report)["decisions"])
            decide(root)
            cache = {**os.environ, "BKGEN_CACHE_DIR": str(base / "render-cache")}
            first.append(timed(["render", "bkce70", "-q", "--root", str(root)], root, cache))
            noop.append(timed(["render", "bkce70", "-q", "--root", str(root)], root, cache))
            files = sum(1 for p in (root / "rendered" / "bkce70").rglob("*") if p.is_file())
            shutil.rmtree(root / "rendered", ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"bkce70: {files} rendered files; {args.runs} run(s), wall seconds")
    print(f"{'':<30} {'min':>6} {'median':>8} {'max':>6}")
    row("import helmfile (dry run)", imports)
    row("first render", first)
    row("no-op re-render", noop)
    print(f"largest process: {peak:.0f} MiB resident")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
