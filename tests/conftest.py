"""Shared fixtures: the repository root and small throw-away bkgen projects."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Two shared cores in CI: generation speed varies, correctness does not.
settings.register_profile(
    "bkgen", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("bkgen")

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files (the committed rendered/ trees) instead of comparing",
    )


@pytest.fixture(autouse=True, scope="session")
def _render_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Renders under test keep their render cache (bkgen.render.cache) in a directory of
    the session, never in the user's cache."""
    before = os.environ.get("BKGEN_CACHE_DIR")
    os.environ["BKGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("render-cache"))
    yield
    if before is None:
        del os.environ["BKGEN_CACHE_DIR"]
    else:
        os.environ["BKGEN_CACHE_DIR"] = before


@pytest.fixture
def repo_root() -> Path:
    return REPO


MINIMAL_CATALOG = """\
partOf: blueking
repositories:
  demo:
    url: https://charts.example.com/demo
seqOrder: [pre, storage, first]
suites:
  base: test suite
releases:
  namespaces:
    templates: namespaces
    suite: base
    seq: pre
  db:
    chart: {repo: demo, name: db}
    suite: base
    seq: storage
  app:
    chart: {repo: demo, name: app}
    suite: base
    seq: first
    needs: [db]
    domains: [app]
"""

MINIMAL_VALUES = """\
namespace: demo
imageRegistry: hub.bktencent.com
domain:
  bkDomain: example.test
  bkMainSiteDomain: example.test
replicas: 1
"""

MINIMAL_ENV = """\
kubeVersion: "1.23"
suites: [base]
git:
  repoURL: https://git.example.com/demo.git
"""


# The trusted policy of the minimal world (bkgen.gitops.trusted): its namespace and the BCS
# template-set instances' (tests/importers), core kinds.
MINIMAL_POLICY = """\
argocd:
  namespaces: [demo, dev, preprod, prod]
  clusterKinds: [/Namespace, /PersistentVolume, storage.k8s.io/StorageClass]
"""


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A minimal project under tmp_path; `files` overrides or adds any file by relative path."""

    def build(files: Mapping[str, str] | None = None) -> Path:
        root = tmp_path / "project"
        counter = 1
        while root.exists():
            counter += 1
            root = tmp_path / f"project{counter}"
        shutil.copytree(REPO / "schemas", root / "schemas")
        defaults = {
            "overlays/base/catalog.yaml": MINIMAL_CATALOG,
            "overlays/base/versions.yaml": 'version:\n  db: "1.0.0"\n  app: "2.0.0"\n',
            "overlays/base/values.yaml": MINIMAL_VALUES,
            "overlays/base/templates/namespaces/ns.yaml.j2": (
                "{% for ns in env.namespaces %}\n---\napiVersion: v1\nkind: Namespace\n"
                "metadata:\n  name: {{ ns }}\n{% endfor %}\n"
            ),
            "overlays/base/releases/app-values.yaml.j2": (
                "replicaCount: {{ values.replicas }}\nhost: app.{{ values.domain.bkDomain }}\n"
            ),
            "overlays/dev/env.yaml": MINIMAL_ENV,
            "overlays/base/policy.yaml": MINIMAL_POLICY,
        }
        defaults.update(files or {})
        for rel, text in defaults.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return build
