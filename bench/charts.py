"""Chart benchmark: pull and render `default` with every chart rendered here.

Builds the BlueKing-shaped test charts of `tests/charts/factory.py` for each chart release
of `default` (catalog names, pinned versions), serves them from two Helm repositories on
127.0.0.1, then times whole `bkgen` processes: a cold `charts pull` (empty cache), a warm
one (no request may reach the servers), the first full render (no tree, empty render
cache) and a no-op re-render (the render cache warm).
Prints min / median / max wall seconds.

    python bench/charts.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bkgen_process import timed  # noqa: E402

from tests.charts.factory import build_env_charts  # noqa: E402
from tests.charts.servers import HelmRepository  # noqa: E402


def setup(base: Path) -> tuple[Path, dict[str, Path]]:
    project = base / "project"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    return project, build_env_charts(project, "default", base)


def row(label: str, times: list[float]) -> None:
    print(f"{label:<34} {min(times):>6.2f} {statistics.median(times):>8.2f} {max(times):>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bkgen-charts-") as scratch, ExitStack() as stack:
        base = Path(scratch)
        project, served = setup(base)
        servers = {}
        for name, directory in sorted(served.items()):
            repo = HelmRepository(directory)
            repo.reindex()
            stack.enter_context(repo.running())
            servers[name] = repo
        env_yaml = project / "overlays/default/env.yaml"
        mirrors = "".join(f"    {n}: {r.url}\n" for n, r in servers.items())
        env_yaml.write_text(
            env_yaml.read_text().replace("charts:\n", f"charts:\n  repositories:\n{mirrors}", 1)
        )
        env = {
            **os.environ,
            "BKGEN_CHART_CACHE": str(base / "cache"),
            "BKGEN_CACHE_DIR": str(base / "render-cache"),
        }
        print(f"{'default, 27 charts':<34} {'min s':>6} {'median s':>8} {'max s':>6}")
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(base / "cache", ignore_errors=True)
            (project / "overlays/default/charts.lock").unlink(missing_ok=True)
            cold.append(timed(["charts", "pull", "default"], project, env))
        row("charts pull (cold cache)", cold)
        for repo in servers.values():
            repo.requests.clear()
        row(
            "charts pull (warm cache)",
            [timed(["charts", "pull", "default"], project, env) for _ in range(args.runs)],
        )
        requests = sum(len(r.requests) for r in servers.values())
        renders = []
        for _ in range(args.runs):  # cold: no tree, no render cache
            shutil.rmtree(project / "rendered", ignore_errors=True)
            shutil.rmtree(base / "render-cache", ignore_errors=True)
            renders.append(timed(["render", "default", "-q"], project, env))
        row("render default (all charts local)", renders)
        row(
            "render default again (no-op)",
            [timed(["render", "default", "-q"], project, env) for _ in range(args.runs)],
        )
        print(f"requests to the repositories during warm pulls: {requests}")


if __name__ == "__main__":
    main()
