"""Did-you-mean wherever a name is looked up: value keys (whole base tree), values.* in
templates, release names in explain/catalog; hints never send the user to edit base first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bkgen.cli import cli
from bkgen.errors import OverlayError, TemplateError
from bkgen.errors.suggest import closest, closest_key_path
from bkgen.overlay.layers import release_values
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        # the case: dedented out of `domain:`
        (
            "domain:\n  bkDomain: x.test\nbkMainSiteDomain: x.test\n",
            r"^overlays/dev/custom.yaml:3:1: overlay error: unknown key 'bkMainSiteDomain' "
            r"\(not in overlays/base/values.yaml\) \(hint: did you mean 'domain.bkMainSiteDomain'\?\)$",
        ),
        ("domain:\n  bkDomian: x\n", r"custom.yaml:2:3: .*did you mean 'domain.bkDomain'\?"),
        ("bkMainSiteDomian: x\n", r"did you mean 'domain.bkMainSiteDomain'\?"),
        ("replica: 3\n", r"did you mean 'replicas'\?"),
        (
            "somethingElse: 1\n",
            r"custom.yaml overrides base values; a new global value is a change",
        ),
    ],
)
def test_custom_keys_search_the_whole_base_tree(
    make_project: Project, custom: str, message: str
) -> None:
    root = make_project({"overlays/dev/custom.yaml": custom})
    with pytest.raises(OverlayError, match=message) as info:
        load_environment(root, "dev")
    assert "add it to base values first" not in str(info.value)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "a: 1\nreplicaCount: {{ values.replica }}\n",
            r"^overlays/base/releases/app-values.yaml.j2:2: template error: undefined variable: "
            r"values.replica \(hint: did you mean 'values.replicas'\?\)$",
        ),
        (
            "host: {{ values.domain.bkDomian }}\n",
            r"values.domain.bkDomian \(hint: did you mean 'values.domain.bkDomain'\?\)",
        ),
        ("host: {{ values.bkDomain }}\n", r"did you mean 'values.domain.bkDomain'\?"),
        ("ns: {{ release.namespcae }}\n", r"did you mean 'release.namespace'\?"),
        (
            "x: {{ values.nothingLikeIt }}\n",
            r"undefined variable: values.nothingLikeIt \(hint: define it",
        ),
    ],
)
def test_values_in_templates(make_project: Project, template: str, message: str) -> None:
    root = make_project({"overlays/base/releases/app-values.yaml.j2": template})
    env = load_environment(root, "dev")
    with pytest.raises(TemplateError, match=message):
        release_values(env, env.catalog.releases["app"])


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--root", str(root)])
    return result.exit_code, result.output


def test_release_names_in_explain(repo_root: Path) -> None:
    code, out = run(repo_root, "explain", "prod", "bk-cmbd", "replicaCount")
    assert code == 2
    assert (
        out.strip()
        == "bkgen: usage error: unknown release 'bk-cmbd' (hint: did you mean 'bk-cmdb'?)"
    )
    code, out = run(repo_root, "explain", "prod", "bk-cmdb", "serviceMonitr")
    assert code == 2
    assert out.strip() == (
        "bkgen: usage error: bk-cmdb: no value at 'serviceMonitr' "
        "(hint: did you mean 'serviceMonitor'?)"
    )
    code, out = run(repo_root, "explain", "prod", "global", "bkMainSiteDomain")
    assert "did you mean 'domain.bkMainSiteDomain'?" in out


def test_release_names_in_catalog(repo_root: Path) -> None:
    code, out = run(repo_root, "catalog", "prod", "--release", "bk-cmbd")
    assert code == 2
    assert "unknown release 'bk-cmbd' (hint: did you mean 'bk-cmdb'?)" in out
    code, out = run(repo_root, "catalog", "prod", "--release", "bk-cmdb")
    assert code == 0
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["bk-cmdb"]


def test_closest_prefers_same_level_then_same_leaf() -> None:
    tree = {"domain": {"bkDomain": 1, "bkMainSiteDomain": 2}, "replicas": 1, "mysql": {"host": 1}}
    assert closest_key_path(("domain", "bkDomian"), tree) == ("domain", "bkDomain")
    assert closest_key_path(("bkMainSiteDomain",), tree) == ("domain", "bkMainSiteDomain")
    assert closest_key_path(("hots",), tree) == ("mysql", "host")
    assert closest_key_path(("zzzzzz",), tree) is None
    assert closest("BK-CMDB", ["bk-cmdb", "bk-job"]) == "bk-cmdb"


@given(st.lists(st.from_regex(r"[a-z]{3,10}", fullmatch=True), min_size=1, max_size=20))
def test_a_known_name_is_its_own_closest(names: list[str]) -> None:
    for name in names:
        assert closest(name, names) == name
