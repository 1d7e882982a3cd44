"""Release values checked against the real chart when it is here: every key must exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.charts.lock import read_lock
from bkgen.charts.source import local_chart
from bkgen.cli import cli
from bkgen.overlay.layers import release_layers
from bkgen.overlay.load import load_environment
from bkgen.overlay.release_keys import check_release
from tests.importers.bkce70 import require
from tests.importers.test_helmfile_import import project

# default's pins that equal an archive of the 7.0 tree (docs/catalog.md)
VENDORED = {"bk-cmdb": "bk-cmdb-3.11.17.tgz", "bk-user": "bk-user-1.4.5.tgz"}


@pytest.fixture
def default_with_real_charts(tmp_path: Path) -> Path:
    charts = require() / "charts"
    root = project(tmp_path)
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "overlays/default",
        root / "overlays/default",
        dirs_exist_ok=True,
    )
    target = root / "overlays/default/charts"
    target.mkdir(exist_ok=True)
    for archive in VENDORED.values():
        shutil.copy(charts / archive, target / archive)
    return root


def test_default_values_fit_the_real_charts(default_with_real_charts: Path) -> None:
    env = load_environment(default_with_real_charts, "default")
    lock = read_lock(env.root, env.env_dir)
    for name in VENDORED:
        release = env.catalog.releases[name]
        source = local_chart(env, release, lock)
        assert source is not None and source.archive is not None, name
        assert check_release(env, release, release_layers(env, release), source) == []


def test_each_unknown_key_is_reported_at_its_line(default_with_real_charts: Path) -> None:
    custom = default_with_real_charts / "overlays/default/bk-cmdb-custom-values.yaml.j2"
    custom.write_text(
        "serviceMonitr:\n  enabled: true\n"  # a typo of a key the chart has
        "mysql:\n  host: bk-mysql-mysql\n"  # the old fake wiring: cmdb reads mongodb, not mysql
        "common:\n  auth:\n    enabld: true\n"  # a typo one level down
    )
    result = CliRunner().invoke(cli, ["render", "default", "--root", str(default_with_real_charts)])
    assert result.exit_code == 2, result.output
    line = result.output
    assert line.count("\n") == 1, line
    assert line.startswith(
        "bkgen: overlays/default/bk-cmdb-custom-values.yaml.j2:1: overlay error: bk-cmdb: chart "
        "bk-cmdb 3.11.17 has no value 'serviceMonitr'"
    ), line
    assert "'mysql' (overlays/default/bk-cmdb-custom-values.yaml.j2:3)" in line
    assert "'common.auth.enabld' (overlays/default/bk-cmdb-custom-values.yaml.j2:7)" in line
    assert "(hint: did you mean 'serviceMonitor'?)" in line
    assert not (default_with_real_charts / "rendered").exists()
