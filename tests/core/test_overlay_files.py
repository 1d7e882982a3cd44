"""Every file in overlays/<env>/ is accounted for: a name bkgen would ignore is an error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import OverlayError
from bkgen.overlay.files import KNOWN_FILES, expected
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # the typo: a release name misspelt
        ("app-custom-values.yaml.j3", r"did you mean 'app-custom-values.yaml.j2'"),
        ("apq-custom-values.yaml.j2", r"did you mean 'app-custom-values.yaml.j2'"),
        ("apq-values.yaml.j2", r"did you mean 'app-values.yaml.j2'"),
        # .yaml where .yaml.j2 is expected
        (
            "app-custom-values.yaml",
            r"values files are jinja2 templates: rename it to 'app-custom-values.yaml.j2'",
        ),
        ("app-values.yaml", r"rename it to 'app-values.yaml.j2'"),
        ("custom.yml", r"rename it to 'custom.yaml'"),
        ("values.yaml", r"did you mean 'custom.yaml'\? It holds the overrides"),
        ("versoins.yaml", r"did you mean 'versions.yaml'"),
        # a templates release reads no values file
        (
            "namespaces-values.yaml.j2",
            r"'namespaces' is a templates release and reads no values file",
        ),
        ("notes.txt", r"an environment holds env.yaml, custom.yaml"),
    ],
)
def test_unread_file_is_an_error_with_the_likely_name(
    make_project: Project, name: str, message: str
) -> None:
    root = make_project({f"overlays/dev/{name}": "replicaCount: 3\n"})
    with pytest.raises(OverlayError, match=message) as info:
        load_environment(root, "dev")
    assert str(info.value).startswith(
        f"overlays/dev/{name}: overlay error: file bkgen does not read"
    )


def test_cli_names_the_file_exits_2_and_writes_nothing(make_project: Project) -> None:
    root = make_project({"overlays/dev/apq-custom-values.yaml.j2": "replicaCount: 3\n"})
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "bkgen: overlays/dev/apq-custom-values.yaml.j2: overlay error: file bkgen does not read "
        "(it matches no release and no known overlay file) "
        "(hint: did you mean 'app-custom-values.yaml.j2'?)"
    ]
    assert not (root / "rendered").exists()


def test_unknown_directory_and_file_where_a_directory_belongs(make_project: Project) -> None:
    root = make_project({"overlays/dev/chart/x.tgz": ""})
    with pytest.raises(
        OverlayError,
        match=r"overlays/dev/chart: .*directory bkgen does not read.*did you mean 'charts/'",
    ):
        load_environment(root, "dev")
    root = make_project({"overlays/dev/templatesets": ""})
    with pytest.raises(OverlayError, match="'templatesets' must be a directory"):
        load_environment(root, "dev")


def test_every_documented_name_is_accepted(make_project: Project) -> None:
    root = make_project(
        {
            "overlays/dev/custom.yaml": "replicas: 2\n",
            "overlays/dev/versions.yaml": 'version:\n  app: "2.1.0"\n',
            "overlays/dev/README.md": "# dev\n",
            "overlays/dev/.gitkeep": "",
            "overlays/dev/app-values.yaml.j2": "a: 1\n",
            "overlays/dev/app-custom-values.yaml.j2": "b: 2\n",
            "overlays/dev/db-values.yaml.j2": "c: 3\n",
            "overlays/dev/charts/README": "",
        }
    )
    env = load_environment(root, "dev")
    assert env.versions["app"] == "2.1.0"


def test_a_custom_charts_dir_is_known_and_charts_is_not(make_project: Project) -> None:
    env_yaml = 'kubeVersion: "1.23"\ngit: {repoURL: x}\ncharts: {dir: vendor/charts}\n'
    root = make_project({"overlays/dev/env.yaml": env_yaml, "overlays/dev/vendor/charts/a": ""})
    load_environment(root, "dev")
    root = make_project({"overlays/dev/env.yaml": env_yaml, "overlays/dev/charts/a": ""})
    with pytest.raises(OverlayError, match=r"overlays/dev/charts: .*directory bkgen does not read"):
        load_environment(root, "dev")


def test_the_list_is_in_one_place(repo_root: Path) -> None:
    assert "env.yaml" in KNOWN_FILES and "charts.lock" in KNOWN_FILES
    env = load_environment(repo_root, "prod")
    names = expected(env.catalog, "charts")
    assert "bk-paas-custom-values.yaml.j2" in names
    assert "localpv-values.yaml.j2" not in names  # templates release: reads no values file
