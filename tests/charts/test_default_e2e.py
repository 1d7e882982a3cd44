"""The shipped `default` environment with every chart rendered here, from a chart repository.

A test-built repository holds one BlueKing-shaped chart per chart release of `default` (the
catalog's names and pinned versions): a library subchart, hooks, `null` optional fields,
StatefulSets with a normal Service, CRDs for the operators, `existingSecret` switches wired
by the base values, bundled storage subcharts (`mariadb.enabled` …) the base values switch
off, and passwords from `randAlphaNum` when no existingSecret is given. Served on 127.0.0.1,
mirrored in env.yaml, pulled, rendered twice, checked.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bkgen.cli import cli
from tests.charts.factory import build_env_charts
from tests.charts.servers import HelmRepository
from tests.conftest import REPO


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    base = tmp_path_factory.mktemp("e2e")
    root = base / "project"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    served = build_env_charts(root, "default", base)
    with ExitStack() as stack:
        urls = {}
        for name, directory in served.items():
            repo = HelmRepository(directory)
            repo.reindex()
            stack.enter_context(repo.running())
            urls[name] = repo.url
        env_yaml = root / "overlays/default/env.yaml"
        mirrors = "".join(f"    {name}: {url}\n" for name, url in urls.items())
        env_yaml.write_text(
            env_yaml.read_text().replace("charts:\n", f"charts:\n  repositories:\n{mirrors}", 1)
        )
        yield root, urls


@pytest.fixture(autouse=True)
def chart_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKGEN_CHART_CACHE", str(tmp_path_factory.getbasetemp() / "e2e-cache"))


def _tree(root: Path) -> dict[Path, bytes]:
    tree = root / "rendered/default"
    return {p.relative_to(tree): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


def _secret_values(files: dict[Path, bytes]) -> list[Path]:
    found = []
    for path, data in files.items():
        if path.suffix == ".yaml" and path.name != "values.yaml":
            for doc in yaml.safe_load_all(data):
                if (
                    doc
                    and doc.get("kind") == "Secret"
                    and (doc.get("data") or doc.get("stringData"))
                ):
                    found.append(path)
    return found


def test_pull_then_render_default_renders_every_chart_here_with_no_secret_value(
    world: tuple[Path, dict[str, str]],
) -> None:
    """The issue's done-when, literally: `bkgen charts pull default && bkgen render default`."""
    root, _ = world
    code, out = run("charts", "pull", "default", "--root", str(root))
    assert code == 0, out
    assert "default: 27 charts (27 downloaded)" in out
    # The charts do generate passwords (randAlphaNum when no existingSecret is given) ...
    cache = Path(os.environ["BKGEN_CHART_CACHE"])
    assert any(b"randAlphaNum" in _members(archive) for archive in cache.rglob("*.tgz"))

    code, out = run("render", "default", "--output", "json", "--root", str(root))
    assert code == 0, out
    modes = {r["name"]: r["mode"] for r in yaml.safe_load(out)[0]["releases"]}
    charts = [name for name, mode in modes.items() if mode.startswith("helm")]
    assert len(charts) == 27 and all(modes[name] == "helm-local" for name in charts)

    first = _tree(root)
    # ... and the base values wire every one of them to an in-cluster Secret: none in git.
    assert _secret_values(first) == []
    tree = root / "rendered/default"
    # Helm hooks arrive as Argo CD hooks; test hooks and pre-delete hooks do not arrive.
    migrate = yaml.safe_load((tree / "releases/bk-cmdb/Job_bk-cmdb-migrate.yaml").read_text())
    assert migrate["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert not list(tree.rglob("Pod_*-test.yaml")) and not list(tree.rglob("Job_*-cleanup.yaml"))
    # `---apiVersion` is two objects, as Helm and Argo CD see it.
    assert (tree / "releases/bk-cmdb/ConfigMap_bk-cmdb-first.yaml").is_file()
    assert (tree / "releases/bk-cmdb/ConfigMap_bk-cmdb-second.yaml").is_file()
    # CRDs of the operator charts arrive; null optional fields are absent, as stored.
    operator = tree / "releases/bkpaas-app-operator"
    crds = sorted(p.name for p in operator.glob("CustomResourceDefinition_*.yaml"))
    assert crds == [
        "CustomResourceDefinition_bkapps.paas.bk.tencent.com.yaml",
        "CustomResourceDefinition_domaingroupmappings.paas.bk.tencent.com.yaml",
    ]
    assert b"annotations: null" not in b"".join(first.values())
    # Storage as the bkce70 application charts reach it: the bundled subchart is off and
    # `externalDatabase.default.*` comes from the base values; no password is set anywhere.
    assert not list(tree.glob("releases/*/StatefulSet_*-mariadb.yaml"))
    wiring = yaml.safe_load(
        (tree / "releases/bk-auth/ConfigMap_bk-auth-bkauth-mariadb.yaml").read_text()
    )
    assert (wiring["data"]["HOST"], wiring["data"]["USER"]) == ("bk-mysql", "root")
    assert wiring["data"]["PASSWORD"] == ""

    code, out = run("render", "default", "-q", "--root", str(root))
    assert code == 0, out
    assert _tree(root) == first
    code, out = run("check", "default", "--root", str(root))
    assert code == 0, out


def test_a_password_the_chart_generates_is_refused_until_declared(
    world: tuple[Path, dict[str, str]],
) -> None:
    """An operator turns bk-paas's bundled MariaDB on: its subchart would make up the password."""
    root, _ = world
    assert run("charts", "pull", "default", "--root", str(root))[0] == 0
    before = _tree(root) if (root / "rendered/default").is_dir() else {}
    custom = root / "overlays/default/bk-paas-custom-values.yaml.j2"
    custom.write_text("mariadb:\n  enabled: true\n")
    try:
        code, out = run("render", "default", "-q", "--root", str(root))
        assert code == 1, out
        assert "release 'bk-paas': Secret bk-paas-mariadb key 'config.ini'" in out
        assert "key 'password' is generated by the chart on every render" in out
        assert "declare mariadb.auth.password" in out
        if before:
            assert _tree(root) == before

        custom.write_text(
            'mariadb:\n  enabled: true\n  auth:\n    password: {secretRef: "bkce7/bk-paas#db"}\n'
        )
        code, out = run("render", "default", "-q", "--root", str(root))
        assert code == 0, out
        files = _tree(root)
        assert _secret_values(files) == []
        external = yaml.safe_load(
            files[Path("releases/bk-paas/ExternalSecret_bk-paas-mariadb.yaml")]
        )
        template = external["spec"]["target"]["template"]["data"]
        assert template["config.ini"].startswith("[db]\nuser=root\npassword={{ .s_")
        assert run("render", "default", "-q", "--root", str(root))[0] == 0
        assert _tree(root) == files
    finally:
        custom.unlink()


def _members(archive: Path) -> bytes:
    with tarfile.open(archive) as tar:
        return b"".join(
            tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile() and m.name.endswith(".yaml")
        )
