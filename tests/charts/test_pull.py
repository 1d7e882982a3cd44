"""`bkgen charts pull|lock` against real chart servers on 127.0.0.1, and rendering from the cache."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from tests.charts.factory import build_chart, package
from tests.charts.servers import HelmRepository, OCIRegistry

Project = Callable[..., Path]

DB_VALUES = "existingSecret: db-credentials\n"
APP_VALUES = "existingSecret: app-credentials\nreplicaCount: {{ values.replicas }}\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def chart_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "chart-cache"
    monkeypatch.setenv("BKGEN_CHART_CACHE", str(cache))
    return cache


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    build = tmp_path / "chart-src"
    served = tmp_path / "served"
    package(build_chart(build, "db", "1.0.0", statefulset=True), served)
    package(build_chart(build, "app", "2.0.0"), served)
    return served


@pytest.fixture
def helm_repo(repo_dir: Path) -> Iterator[HelmRepository]:
    repo = HelmRepository(repo_dir)
    repo.reindex()
    with repo.running():
        yield repo


def project_for(make_project: Project, url: str, extra_env: str = "") -> Path:
    return make_project(
        {
            "overlays/base/releases/db-values.yaml.j2": DB_VALUES,
            "overlays/base/releases/app-values.yaml.j2": APP_VALUES,
            "overlays/dev/env.yaml": (
                'kubeVersion: "1.23"\nsuites: [base]\ngit: {repoURL: https://git.example.com/d.git}\n'
                f"charts:\n  repositories:\n    demo: {url}\n{extra_env}"
            ),
        }
    )


def cache_files(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.tgz")) if cache.exists() else []


def test_pull_locks_caches_and_render_uses_the_cache(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    code, out = run("charts", "pull", "dev", "--root", str(root))
    assert code == 0, out
    assert "dev: 2 charts (2 downloaded); overlays/dev/charts.lock written" in out
    lock = (root / "overlays/dev/charts.lock").read_text()
    assert 'db:\n    chart: db\n    version: "1.0.0"' in lock
    assert lock.count("digest: sha256:") == 2
    assert len(cache_files(chart_cache)) == 2

    # A warm cache: no request at all, lock untouched.
    helm_repo.requests.clear()
    code, out = run("charts", "pull", "dev", "--root", str(root))
    assert code == 0 and "2 cached" in out and "unchanged" in out
    assert helm_repo.requests == []

    env = load_environment(root, "dev")
    tree = build_tree(env)
    assert dict(tree.summary.releases) == {
        "namespaces": "templates",
        "db": "helm-local",
        "app": "helm-local",
    }
    assert helm_repo.requests == [], "rendering must never reach the repository"
    assert build_tree(load_environment(root, "dev")).files == tree.files


def test_relock_is_byte_identical(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    assert run("charts", "lock", "dev", "--root", str(root))[0] == 0
    first = (root / "overlays/dev/charts.lock").read_bytes()
    code, out = run("charts", "lock", "dev", "--root", str(root))
    assert code == 0 and "unchanged" in out
    assert (root / "overlays/dev/charts.lock").read_bytes() == first


def _assert_failed_cleanly(root: Path, cache: Path, code: int, out: str, *needles: str) -> None:
    assert code != 0
    lines = [line for line in out.splitlines() if line.startswith("bkgen:")]
    assert len(lines) == 1, out
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in out
    assert not (root / "overlays/dev/charts.lock").exists()
    assert cache_files(cache) == []


def test_missing_version_names_release_and_repository(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    versions = root / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('app: "2.0.0"', 'app: "2.0.9"'))
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(
        root, chart_cache, code, out, "release 'app'", helm_repo.url, "no version 2.0.9", "2.0.0"
    )


def test_404_and_unreachable_repository(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url + "/nothing-here")
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(root, chart_cache, code, out, "release 'db'", "HTTP 404")

    root = project_for(make_project, "http://127.0.0.1:9/charts")
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(root, chart_cache, code, out, "release 'db'", "cannot reach")


def test_digest_mismatch_between_index_and_archive(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path, repo_dir: Path
) -> None:
    other = build_chart(repo_dir.parent / "other", "app", "2.0.0", quirky=True)
    helm_repo.overrides["/charts/app-2.0.0.tgz"] = package(
        other, repo_dir.parent / "o"
    ).read_bytes()
    root = project_for(make_project, helm_repo.url)
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(root, chart_cache, code, out, "release 'app'", "digest mismatch")


def test_corrupt_archive_and_archive_without_chart_yaml(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path, repo_dir: Path
) -> None:
    # Index entries without a digest (older repositories) are refused before any download.
    index = repo_dir / "index.yaml"
    original = index.read_text()
    index.write_text("".join(x for x in original.splitlines(True) if "digest:" not in x))
    root = project_for(make_project, helm_repo.url)
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(root, chart_cache, code, out, "release 'db'", "has no digest")

    # A repository whose index vouches for bad bytes: the archive check must catch it.
    def vouch_for(data: bytes) -> None:
        doc = yaml.safe_load(original)
        for entry in doc["entries"]["app"]:
            entry["digest"] = hashlib.sha256(data).hexdigest()
        index.write_text(yaml.safe_dump(doc))
        helm_repo.overrides["/charts/app-2.0.0.tgz"] = data

    vouch_for(b"\x1f\x8b not really gzip")
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(root, chart_cache, code, out, "release 'app'", "corrupt chart archive")

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("app/values.yaml")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"a: 1"))
    vouch_for(buffer.getvalue())
    code, out = run("charts", "pull", "dev", "--root", str(root))
    _assert_failed_cleanly(root, chart_cache, code, out, "release 'app'", "no app/Chart.yaml")


def test_lock_pins_bytes_a_repository_cannot_swap(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path, repo_dir: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    assert run("charts", "pull", "dev", "--root", str(root))[0] == 0
    lock = (root / "overlays/dev/charts.lock").read_bytes()
    for cached in cache_files(chart_cache):
        cached.unlink()
    # Same name and version, other bytes (and an index that agrees with them).
    build_chart(repo_dir.parent / "swap", "app", "2.0.0", quirky=True)
    package(repo_dir.parent / "swap" / "app", repo_dir)
    helm_repo.reindex()
    code, out = run("charts", "pull", "dev", "--root", str(root))
    assert code != 0 and "charts.lock pins" in out and "release 'app'" in out
    assert (root / "overlays/dev/charts.lock").read_bytes() == lock
    assert cache_files(chart_cache) == []


def test_a_warm_cache_renders_nothing_under_a_repository_that_never_served_it(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    assert run("charts", "pull", "dev", "--root", str(root))[0] == 0
    # A pull request points the mirror elsewhere and re-labels the lock to match, keeping
    # the digests of bytes the CI's cache holds from the trusted repository.
    other = "https://charts.attacker.example/demo"
    env_yaml = root / "overlays/dev/env.yaml"
    env_yaml.write_text(env_yaml.read_text().replace(helm_repo.url, other))
    lock = root / "overlays/dev/charts.lock"
    lock.write_text(lock.read_text().replace(helm_repo.url, other))
    code, out = run("render", "dev", "--root", str(root))
    assert code == 1, out
    assert re.search(r"^bkgen: overlays/dev/charts\.lock:\d+: render error: cached chart", out)
    assert f"was never pulled from {other}" in out
    assert not (root / "rendered/dev").exists()


def test_tampered_cache_is_refused_at_render(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    assert run("charts", "pull", "dev", "--root", str(root))[0] == 0
    victim = cache_files(chart_cache)[0]
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    code, out = run("render", "dev", "--root", str(root))
    assert code == 1 and "cache is corrupt" in out
    # The cache is outside the repository: the error names the lock entry that pins it.
    assert re.search(r"^bkgen: overlays/dev/charts\.lock:\d+: render error: cached chart", out)
    assert not (root / "rendered/dev").exists()


def test_stale_lock_is_refused_by_pull_and_render_and_replaced_by_lock(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path, repo_dir: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    assert run("charts", "pull", "dev", "--root", str(root))[0] == 0
    package(build_chart(repo_dir.parent / "next", "app", "2.1.0"), repo_dir)
    helm_repo.reindex()
    versions = root / "overlays/base/versions.yaml"
    versions.write_text(versions.read_text().replace('app: "2.0.0"', 'app: "2.1.0"'))
    for args in (("charts", "pull", "dev"), ("render", "dev")):
        code, out = run(*args, "--root", str(root))
        assert code == 2, out
        assert "overlays/dev/charts.lock:" in out and "stale lock entry for 'app'" in out
        assert "locks version 2.0.0, the pin is 2.1.0" in out
    code, out = run("charts", "lock", "dev", "--root", str(root))
    assert code == 0, out
    assert 'version: "2.1.0"' in (root / "overlays/dev/charts.lock").read_text()


def test_credentials_come_from_the_environment_and_never_show(
    make_project: Project,
    helm_repo: HelmRepository,
    chart_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    helm_repo.auth = "reader:s3cret-canary"
    root = project_for(make_project, helm_repo.url)
    refused = _pull_with_credentials(root, monkeypatch, "reader", "s3cret-canary", helm_repo.url)
    assert "HTTP 401" in refused and "BKGEN_REPO_" in refused


def _pull_with_credentials(
    root: Path, monkeypatch: pytest.MonkeyPatch, user: str, password: str, url: str
) -> str:
    """Pull refused without credentials, then pulled with them from the environment, the
    password in neither output nor charts.lock; returns what the refusal printed."""
    code, refused = run("charts", "pull", "dev", "--root", str(root))
    assert code != 0 and "Traceback" not in refused
    monkeypatch.setenv("BKGEN_REPO_DEMO_USERNAME", user)
    monkeypatch.setenv("BKGEN_REPO_DEMO_PASSWORD", password)
    monkeypatch.setenv("BKGEN_REPO_DEMO_URL", url)  # where the CI lets them go
    code, out = run("charts", "pull", "dev", "--root", str(root))
    assert code == 0, out
    assert password not in out
    assert password not in (root / "overlays/dev/charts.lock").read_text()
    return refused


def test_oci_registry(make_project: Project, chart_cache: Path, repo_dir: Path) -> None:
    registry = OCIRegistry()
    with registry.running():
        for archive in sorted(repo_dir.glob("*.tgz")):
            registry.push(archive)
        root = project_for(make_project, registry.url())
        code, out = run("charts", "pull", "dev", "--root", str(root))
        assert code == 0, out
        assert "oci://127.0.0.1" in (root / "overlays/dev/charts.lock").read_text()
        env = load_environment(root, "dev")
        assert dict(build_tree(env).summary.releases)["app"] == "helm-local"

        versions = root / "overlays/base/versions.yaml"
        versions.write_text(versions.read_text().replace('db: "1.0.0"', 'db: "1.0.7"'))
        (root / "overlays/dev/charts.lock").unlink()
        code, out = run("charts", "pull", "dev", "--root", str(root))
        assert code != 0 and "release 'db'" in out and "not found" in out
        assert "Traceback" not in out


def test_locked_chart_missing_from_the_cache_is_an_error_not_a_silent_fallback(
    make_project: Project, helm_repo: HelmRepository, chart_cache: Path
) -> None:
    root = project_for(make_project, helm_repo.url)
    assert run("charts", "pull", "dev", "--root", str(root))[0] == 0
    for cached in cache_files(chart_cache):
        cached.unlink()
    code, out = run("render", "dev", "-q", "--root", str(root))
    assert code == 2, out
    assert "overlays/dev/charts.lock:" in out and "locked but not in the chart cache" in out
    assert "bkgen charts pull dev" in out


def test_oci_registry_with_credentials_from_the_environment(
    make_project: Project, chart_cache: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = OCIRegistry()
    registry.auth = "puller:oci-canary-pw"
    with registry.running():
        for archive in sorted(repo_dir.glob("*.tgz")):
            registry.push(archive)
        root = project_for(make_project, registry.url())
        refused = _pull_with_credentials(
            root, monkeypatch, "puller", "oci-canary-pw", registry.url()
        )
        assert "release 'db'" in refused
