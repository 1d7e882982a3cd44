"""A small project with the bcs suite, a BCS project/cluster, and the seed-shaped template set."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "web-nginx"

CATALOG = """\
partOf: blueking
repositories:
  demo:
    url: https://charts.example.com/demo
seqOrder: [pre, first, bcs]
suites:
  base: test suite
  bcs: container service
releases:
  namespaces:
    templates: namespaces
    suite: base
    seq: pre
  app:
    chart: {repo: demo, name: app}
    suite: base
    seq: first
"""

ENV = """\
kubeVersion: "1.23"
suites: [base, bcs]
git:
  repoURL: https://git.example.com/demo.git
validation:
  externalRefs: ["Secret/*/paas.image.registry.*"]
"""

BCS = """\
# 系统变量
project:
  id: 794b6164a194ac2952b497e79a0b967d   # 项目ID
  ccAppId: 2
cluster:
  id: BCS-K8S-40015
  variables:
    ROOM_NUM: 3
helmReleases: [app]
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bcs_project(make_project: Callable[..., Path]) -> Path:
    return make_project(
        {
            "overlays/base/catalog.yaml": CATALOG,
            "overlays/base/versions.yaml": 'version:\n  app: "2.0.0"\n',
            "overlays/dev/env.yaml": ENV,
            "overlays/dev/bcs.yaml": BCS,
        }
    )


@pytest.fixture
def template_set(tmp_path: Path) -> Path:
    """A writable copy of the seed-shaped template set."""
    target = tmp_path / "export" / "web-nginx"
    shutil.copytree(FIXTURE, target)
    return target
