"""The base release values set only value paths the real chart has at the pinned version.

For a chart whose pinned version the BlueKing 7.0 archives do not ship, the facts are
recorded in `bench/upstream_paths/<chart>-<version>.txt` (the value paths of the upstream
chart at a named commit, see `bench/catalog_fit.py`). These tests render the base values of
the `default` environment and hold each path against those facts: offline, no chart needed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bkgen.overlay.load import load_environment

REPO = Path(__file__).resolve().parents[2]

# The releases whose pin is verified against a recorded upstream fact. A pin that moves
# without a fact for the new version drops out of this set and fails the test below.
UPSTREAM_VERIFIED = {
    "bk-consul",
    "bk-elastic",
    "bk-etcd",
    "bk-influxdb",
    "bk-kafka",
    "bk-mongodb",
    "bk-mysql",
    "bk-rabbitmq",
    "bk-redis",
    "bk-redis-cluster",
    "bk-zookeeper",
    "ingress-nginx",
}


@pytest.fixture(scope="module")
def catalog_fit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalog_fit", REPO / "bench" / "catalog_fit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("catalog_fit", module)
    spec.loader.exec_module(module)
    return module


def test_every_fact_names_its_source(catalog_fit: ModuleType) -> None:
    facts = catalog_fit.upstream_facts()
    assert len(facts) == len(UPSTREAM_VERIFIED)
    for fact in facts.values():
        assert "/" in fact.repo and fact.path and len(fact.commit) == 40
        assert len(fact.paths) > 100  # a whole values.yaml, not the few paths the base sets


def test_base_sets_only_paths_the_pinned_chart_has(catalog_fit: ModuleType) -> None:
    env = load_environment(REPO, "default")
    facts = catalog_fit.upstream_facts()
    checked: set[str] = set()
    unknown: dict[str, list[str]] = {}
    used: set[tuple[str, str]] = set()
    for release in env.catalog.releases.values():
        if release.source != "chart" or release.chart is None:
            continue
        key = (release.chart.name, env.versions.get(release.name, ""))
        fact = facts.get(key)
        if fact is None:
            continue
        used.add(key)
        checked.add(release.name)
        paths = catalog_fit.base_paths(env, release)
        assert paths, release.name
        missing = [".".join(p) for p in paths if not fact.knows(p)]
        if missing:
            unknown[release.name] = missing
    assert unknown == {}
    assert checked == UPSTREAM_VERIFIED
    assert used == set(facts), "a fact file no pinned release uses"


FACT = """\
# chart: demo 1.2.3
# repo: example/charts
# path: charts/demo
# commit: 0123456789abcdef0123456789abcdef01234567
auth.existingSecret
primary.configuration
primary.persistence.size
"""


def test_a_path_the_chart_lacks_is_unknown(catalog_fit: ModuleType, tmp_path: Path) -> None:
    file = tmp_path / "demo-1.2.3.txt"
    file.write_text(FACT)
    fact = catalog_fit.load_upstream(file)
    assert fact.source == "example/charts charts/demo@0123456789ab"
    known = ["auth.existingSecret", "primary", "primary.persistence", "primary.configuration.x"]
    for path in known:
        assert fact.knows(tuple(path.split("."))), path
    for path in ["auth.existingSecretX", "auth.password", "replicaCount", "primaryx"]:
        assert not fact.knows(tuple(path.split("."))), path


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("demo-1.2.3.txt", FACT.replace("# repo: example/charts\n", ""), "header lacks repo"),
        ("demo-1.2.4.txt", FACT, "header names demo 1.2.3"),
        ("demo-1.2.3.txt", FACT.replace("0123456789abcdef0123", "main"), "not a full sha"),
        ("demo-1.2.3.txt", FACT + "a b\n", "not a dotted path"),
    ],
)
def test_a_fact_without_its_source_is_refused(
    catalog_fit: ModuleType, tmp_path: Path, name: str, text: str, message: str
) -> None:
    file = tmp_path / name
    file.write_text(text)
    with pytest.raises(ValueError, match=message):
        catalog_fit.load_upstream(file)
