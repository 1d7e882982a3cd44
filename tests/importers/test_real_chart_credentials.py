"""The base's plainCredentials against BlueKing's real charts (../shared/bkce70): every listed
value is one the chart has, and an environment that declares them renders the real bk-monitor
and bkauth charts with every store the platform's, the passwords in ExternalSecrets."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bkgen.charts.value_paths import archive_paths
from bkgen.cli import cli
from bkgen.overlay.load import load_environment
from tests.conftest import REPO
from tests.importers.bkce70 import require
from tests.importers.test_helmfile_import import project

ARCHIVE = re.compile(r"^(?P<name>.+?)-(?P<version>\d+\.\d+\.\d+)\.tgz$")
# what these two charts need beside their plain credentials, from the first render's errors:
# values the chart writes into a Secret (declared), one it generates (chartCredentials)
MONITOR_SECRETS = (
    'grafana:\n  admin:\n    password: {secretRef: "bkce7/bk-monitor#grafana-admin"}\n'
    'monitor:\n  config:\n    bcsApiGatewayToken: {secretRef: "bkce7/bk-monitor#bcs-token"}\n'
)
CATALOG = (
    "releases:\n  bk-auth:\n    chartCredentials:\n"
    '      pprofPassword: {secretRef: "bkce7/bk-auth#pprofPassword"}\n'
)
SUPPRESS = (
    "  suppress:\n    - rule: image-tag\n      resource: '*/blueking/bk-monitor-*'\n"
    "      reason: bk-monitor 3.7.0 hard-codes an untagged busybox init container\n"
)
# a bundled store's workload (bitnami names: bk-monitor-redis-master, …-mysql); not bk-monitor's
# own influxdb-proxy
BUNDLED = re.compile(
    r"-(mysql|mariadb|redis|elasticsearch|rabbitmq|influxdb|consul|kafka|zookeeper)"
    r"(-(master|replicas|primary|secondary|coordinating|data|ingest))?$"
)


def nearest_archives() -> dict[str, Path]:
    """Chart name -> its newest archive in the 7.0 tree."""
    found: dict[str, tuple[tuple[int, ...], Path]] = {}
    for path in (require() / "charts").glob("*.tgz"):
        match = ARCHIVE.match(path.name)
        if match:
            key = tuple(int(p) for p in match["version"].split("."))
            if match["name"] not in found or key > found[match["name"]][0]:
                found[match["name"]] = (key, path)
    return {name: path for name, (_, path) in found.items()}


def test_every_listed_credential_is_a_value_of_the_real_chart() -> None:
    archives = nearest_archives()
    env = load_environment(REPO, "prod")
    checked = 0
    for release in env.catalog.releases.values():
        if not release.plain_credentials or release.chart is None:
            continue
        assert release.chart.name in archives, release.name  # each has a 7.0 chart
        paths = archive_paths(archives[release.chart.name].read_bytes())
        for dotted in release.plain_credentials:
            assert paths.knows(tuple(dotted.split("."))), (release.name, dotted)
            checked += 1
    assert checked == 44


def declarations(paths: tuple[str, ...], release: str) -> str:
    tree: dict[str, object] = {}
    for dotted in paths:
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[leaf] = {"secretRef": f"bkce7/{release}#{dotted}"}
    return yaml.safe_dump(tree)


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Path:
    charts = require() / "charts"
    root = project(tmp_path_factory.mktemp("prod"))
    shutil.copytree(REPO / "overlays/prod", root / "overlays/prod")
    env_dir = root / "overlays/prod"
    (env_dir / "charts").mkdir()
    for archive in ("bk-monitor-3.7.0.tgz", "bkauth-0.0.9.tgz"):
        shutil.copy(charts / archive, env_dir / "charts" / archive)
    catalog = load_environment(root, "prod").catalog
    for release in ("bk-monitor", "bk-auth"):
        text = declarations(catalog.releases[release].plain_credentials, release)
        extra = MONITOR_SECRETS if release == "bk-monitor" else ""
        (env_dir / f"{release}-custom-values.yaml.j2").write_text(text + extra)
    (env_dir / "catalog.yaml").write_text(CATALOG)
    env_yaml = env_dir / "env.yaml"
    env_yaml.write_text(
        env_yaml.read_text().replace("  failOn: error\n", "  failOn: error\n" + SUPPRESS)
    )
    return root


def test_declared_they_render_the_real_charts_with_the_platforms_stores(prod: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "prod", "-q", "--root", str(prod)])
    assert result.exit_code == 0, result.output
    # the two releases rendered here declare everything: only those left to Argo CD are named
    (warning,) = [line for line in result.stderr.splitlines() if "plainCredentials" in line]
    assert "13 release(s) of prod left to Argo CD" in warning
    assert "bk-monitor" not in warning and "bk-auth" not in warning
    out = prod / "rendered/prod/releases"
    monitor = {
        p.name: yaml.safe_load(p.read_text())
        for p in (out / "bk-monitor").glob("*.yaml")
        if p.name != "values.yaml"
    }
    kinds = {body["kind"] for body in monitor.values()}
    assert "StatefulSet" not in kinds  # no bundled store
    workloads = [
        body["metadata"]["name"]
        for body in monitor.values()
        if body["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
    ]
    assert workloads and not [w for w in workloads if BUNDLED.search(w)], workloads
    env = monitor["ExternalSecret_bk-monitor-monitor-env.yaml"]
    properties = {d["remoteRef"]["property"] for d in env["spec"]["data"]}
    assert {"externalDatabase.password", "externalRedis.monitor.password"} <= properties
    assert (
        env["spec"]["target"]["template"]["data"]["BK_MONITOR_MYSQL_HOST"] == "mysql.db.example.com"
    )
    assert "ConfigMap_bk-monitor-monitor-env.yaml" not in monitor
    auth = {p.name for p in (out / "bk-auth").glob("*.yaml")}
    assert not [n for n in auth if BUNDLED.search(n.removesuffix(".yaml"))], auth
    assert any(n.startswith("ExternalSecret_") for n in auth), auth
