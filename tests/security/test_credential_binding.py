"""Repository credentials go only where the CI says (#25, point 5).

`BKGEN_REPO_<NAME>_*` used to match by repository *name*, and the URL comes from the
overlays — a pull request can point a mirror at its own server. Real HTTP servers on
127.0.0.1: the CI binds the credentials to repository A's URL; B plays the server a pull
request (or a redirect) would send them to. B must never see an Authorization header.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.charts.servers import HelmRepository
from tests.charts.test_pull import Project, project_for, run

PASSWORD = "bound-canary-5e7f"


@pytest.fixture
def two_repos(repo_dir: Path, tmp_path: Path) -> Iterator[tuple[HelmRepository, HelmRepository]]:
    other = tmp_path / "other"
    shutil.copytree(repo_dir, other)
    a, b = HelmRepository(repo_dir), HelmRepository(other)
    a.reindex()
    b.reindex()
    a.auth = f"reader:{PASSWORD}"
    with a.running(), b.running():
        yield a, b


def _bind(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BKGEN_REPO_DEMO_URL", url)
    monkeypatch.setenv("BKGEN_REPO_DEMO_USERNAME", "reader")
    monkeypatch.setenv("BKGEN_REPO_DEMO_PASSWORD", PASSWORD)


def _pull_bound(
    make_project: Project, monkeypatch: pytest.MonkeyPatch, url: str
) -> tuple[int, str]:
    """`bkgen charts pull dev` of a project on `url`, with the CI's credentials bound to it."""
    root = project_for(make_project, url)
    _bind(monkeypatch, url)
    return run("charts", "pull", "dev", "--root", str(root))


def _sent(repo: HelmRepository) -> list[str]:
    return [path for path, header in repo.authorization if header]


def test_a_mirror_the_pull_request_points_elsewhere_gets_no_credentials(
    make_project: Project, two_repos: tuple[HelmRepository, HelmRepository], chart_cache: Path
) -> None:
    a, b = two_repos
    root = project_for(make_project, b.url)  # env.yaml's mirror: the PR's choice
    with pytest.MonkeyPatch.context() as patch:
        _bind(patch, a.url)
        code, out = run("charts", "pull", "dev", "--root", str(root))
    assert code == 0, out  # B serves without auth: the pull works, without the credentials
    assert b.requests and _sent(b) == []
    assert PASSWORD not in out


def test_credentials_are_dropped_on_a_redirect_to_another_port(
    make_project: Project,
    two_repos: tuple[HelmRepository, HelmRepository],
    chart_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = two_repos
    a.redirects["/charts/app-2.0.0.tgz"] = f"{b.url}/app-2.0.0.tgz"
    code, out = _pull_bound(make_project, monkeypatch, a.url)
    assert code == 0, out
    assert "/charts/index.yaml" in _sent(a)  # the bound repository gets them
    assert ("/charts/app-2.0.0.tgz", None) in b.authorization  # the redirect target does not
    assert _sent(b) == []


def test_a_redirect_within_the_prefix_keeps_them(
    make_project: Project,
    two_repos: tuple[HelmRepository, HelmRepository],
    chart_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _ = two_repos
    shutil.copy(a.directory / "app-2.0.0.tgz", a.directory / "moved.tgz")
    a.redirects["/charts/app-2.0.0.tgz"] = "/charts/moved.tgz"
    code, out = _pull_bound(make_project, monkeypatch, a.url)
    assert code == 0, out
    assert "/charts/moved.tgz" in _sent(a)


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/x.tgz", "file:///etc/passwd"])
def test_a_redirect_off_http_is_refused(
    make_project: Project,
    two_repos: tuple[HelmRepository, HelmRepository],
    chart_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
) -> None:
    a, _ = two_repos
    a.redirects["/charts/app-2.0.0.tgz"] = target
    code, out = _pull_bound(make_project, monkeypatch, a.url)
    assert code == 1 and "Traceback" not in out, out
    assert "release 'app'" in out and PASSWORD not in out
    assert len([line for line in out.splitlines() if line.startswith("bkgen:")]) == 1


@pytest.mark.parametrize("where", ["other-host", "file:///etc/passwd"])
def test_archive_urls_stay_on_the_repository_host(
    make_project: Project,
    two_repos: tuple[HelmRepository, HelmRepository],
    chart_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    a, b = two_repos
    index = a.directory / "index.yaml"
    doc = yaml.safe_load(index.read_text())
    url = f"{b.url}/app-2.0.0.tgz" if where == "other-host" else where
    for entry in doc["entries"]["app"]:
        entry["urls"] = [url]
    index.write_text(yaml.safe_dump(doc))
    code, out = _pull_bound(make_project, monkeypatch, a.url)
    assert code == 1, out
    assert "not an http(s) URL on the repository's own host" in out
    assert b.requests == [] and PASSWORD not in out


def test_credentials_without_a_bound_url_are_a_usage_error(
    make_project: Project,
    two_repos: tuple[HelmRepository, HelmRepository],
    chart_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _ = two_repos
    root = project_for(make_project, a.url)
    monkeypatch.setenv("BKGEN_REPO_DEMO_PASSWORD", PASSWORD)
    code, out = run("charts", "pull", "dev", "--root", str(root))
    assert code == 2, out
    assert "BKGEN_REPO_DEMO_PASSWORD is set without BKGEN_REPO_DEMO_URL" in out
    assert PASSWORD not in out and a.requests == []


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("https://hub.example.com/chartrepo/blueking/index.yaml", True),
        ("https://hub.example.com:443/chartrepo/blueking/x.tgz", True),
        ("https://HUB.example.com/chartrepo/blueking", True),
        ("http://hub.example.com/chartrepo/blueking/index.yaml", False),  # scheme
        ("https://hub.example.com:8443/chartrepo/blueking/x.tgz", False),  # port
        ("https://hub.example.com.evil.io/chartrepo/blueking/x.tgz", False),  # host
        ("https://hub.example.com/chartrepo/bluekingevil/x.tgz", False),  # path boundary
        ("https://hub.example.com/chartrepo/other/x.tgz", False),
        ("https://u:p@hub.example.com/chartrepo/blueking/x.tgz", False),  # userinfo
    ],
)
def test_prefix_matching(url: str, inside: bool) -> None:
    from bkgen.charts.credentials import within

    assert within(url, "https://hub.example.com/chartrepo/blueking") is inside
