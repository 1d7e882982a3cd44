"""The Application health script against Argo CD's one-second Lua budget.

Argo CD stops a health script after one second. This runs bkgen's script
(`argocd/health.py`) in the same Lua 5.1 sandbox the tests use
(`tests/argocd/lua_sandbox.py`) on an Application whose Helm values hold 2,000 keys on
each side of the comparison, and prints min / median / max seconds of --runs calls.

    python bench/health_lua.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bkgen.argocd.health import APPLICATION_HEALTH_LUA
from tests.argocd.lua_sandbox import HealthScript
from tests.argocd.test_health_lua import _helm

BUDGET = 1.0  # seconds, Argo CD's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    health = HealthScript(APPLICATION_HEALTH_LUA)
    values = {f"k{i}": {"v": i} for i in range(2000)}
    big = _helm(values, dict(values))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status = health(big)[0]
        times.append(time.perf_counter() - start)
    print(
        f"health of an Application with 2,000 Helm values: {status}; "
        f"min {min(times):.3f} s, median {statistics.median(times):.3f} s, "
        f"max {max(times):.3f} s ({runs} runs; Argo CD's budget {BUDGET:.0f} s)"
    )


if __name__ == "__main__":
    main()
