"""Release values: unknown keys are a warning naming file:line (an env may make them errors);
a chart's values.schema.json, when the chart is here, turns violations into errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import Notice, OverlayError
from bkgen.overlay import release_keys
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment, load_environment
from bkgen.pipeline import chart_inputs

Project = Callable[..., Path]


def check_release(env: Environment, release: Release) -> list[Notice]:
    inputs = chart_inputs(env, release)
    return release_keys.check_release(env, release, inputs.layers, inputs.source)


def check_environment(env: Environment) -> list[Notice]:
    charts = {r.name: chart_inputs(env, r) for r in env.plan.releases if r.source == "chart"}
    return release_keys.check_environment(
        env, {name: (c.layers, c.source) for name, c in charts.items()}, env.settings.validation
    )


BASE = "replicaCount: {{ values.replicas }}\nhost: app.{{ values.domain.bkDomain }}\npodAnnotations: {}\nservice:\n  port: 80\n"


def project(make_project: Project, custom: str, env_extra: str = "") -> Path:
    return make_project(
        {
            "overlays/base/releases/app-values.yaml.j2": BASE,
            "overlays/dev/app-custom-values.yaml.j2": custom,
            "overlays/dev/env.yaml": 'kubeVersion: "1.23"\nsuites: [base]\ngit:\n  repoURL: https://git.example.com/demo.git\n'
            + env_extra,
        }
    )


def test_typo_in_release_values_is_a_warning_with_file_line_and_did_you_mean(
    make_project: Project,
) -> None:
    root = project(make_project, "# sizing\nreplicaCont: 3\n")
    env = load_environment(root, "dev")
    [notice] = check_release(env, env.catalog.releases["app"])
    assert str(notice) == (
        "overlays/dev/app-custom-values.yaml.j2:2: warning: app: key 'replicaCont' is not in "
        "overlays/base/releases/app-values.yaml.j2, so nothing checks that the chart reads it "
        "(hint: did you mean 'replicaCount'?)"
    )
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root), "-q"])
    assert result.exit_code == 0
    assert (
        "bkgen: overlays/dev/app-custom-values.yaml.j2:2: warning: app: key 'replicaCont'"
        in result.output
    )
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root), "--output", "json"])
    assert "replicaCont" in json.loads(result.stdout)[0]["warnings"][0]


def test_nested_and_misplaced_keys(make_project: Project) -> None:
    root = project(make_project, "service:\n  prot: 8080\nport: 8080\n")
    env = load_environment(root, "dev")
    notices = [str(n) for n in check_release(env, env.catalog.releases["app"])]
    assert len(notices) == 2
    assert "app-custom-values.yaml.j2:2: warning: app: key 'service.prot'" in notices[0]
    assert "did you mean 'service.port'?" in notices[0]
    assert "app-custom-values.yaml.j2:3: warning: app: key 'port'" in notices[1]
    assert "did you mean 'service.port'?" in notices[1]


def test_known_and_free_form_keys_are_silent(make_project: Project) -> None:
    custom = (
        "replicaCount: 2\npodAnnotations:\n  prometheus.io/scrape: 'true'\nservice:\n  port: 81\n"
    )
    root = project(make_project, custom)
    env = load_environment(root, "dev")
    assert check_environment(env) == []


def test_env_opts_into_errors(make_project: Project) -> None:
    root = project(make_project, "replicaCont: 3\n", "validation:\n  unknownValueKeys: error\n")
    env = load_environment(root, "dev")
    with pytest.raises(
        OverlayError,
        match=r"^overlays/dev/app-custom-values.yaml.j2:1: overlay error: app: key 'replicaCont'",
    ):
        check_environment(env)
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root)])
    assert result.exit_code == 2
    assert not (root / "rendered").exists()


def test_under_trusted_the_trusted_refs_setting_holds(make_project: Project) -> None:
    # a pull request that turns the error back into a warning is judged by the trusted ref's
    from tests.gitops.conftest import commit_trusted

    root = project(make_project, "replicaCont: 3\n", "validation:\n  unknownValueKeys: error\n")
    commit_trusted(root)
    env = root / "overlays/dev/env.yaml"
    env.write_text(env.read_text().replace("unknownValueKeys: error", "unknownValueKeys: warning"))
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root), "-q"])
    assert result.exit_code == 0
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root), "--trusted", "HEAD"])
    assert result.exit_code == 2
    assert "overlay error: app: key 'replicaCont'" in result.output


def test_templated_line_is_the_template_line(make_project: Project) -> None:
    custom = "{# comment #}\n{% if values.replicas > 0 %}\nreplicaz: {{ values.replicas }}\n{% endif %}\n"
    root = project(make_project, custom)
    env = load_environment(root, "dev")
    [notice] = check_release(env, env.catalog.releases["app"])
    assert str(notice).startswith("overlays/dev/app-custom-values.yaml.j2:3: warning:")


def test_chart_schema_when_the_chart_is_here(make_project: Project) -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "replicaCount": {"type": "integer"},
            "host": {"type": "string"},
            "podAnnotations": {"type": "object"},
            "service": {"type": "object"},
            "extra": {"type": "string"},
        },
    }
    chart = {
        "overlays/dev/charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 2.0.0\n",
        "overlays/dev/charts/app/values.schema.json": json.dumps(schema),
    }
    root = make_project({**chart, "overlays/dev/app-custom-values.yaml.j2": "extra: from-env\n"})
    env = load_environment(root, "dev")
    assert check_release(env, env.catalog.releases["app"]) == []  # schema knows `extra`
    root = make_project(
        {**chart, "overlays/dev/app-custom-values.yaml.j2": "host: x\nreplicaCount: many\n"}
    )
    env = load_environment(root, "dev")
    with pytest.raises(
        OverlayError,
        match=r"^overlays/dev/app-custom-values.yaml.j2:2: overlay error: app: replicaCount: 'many' is not of type 'integer' \(the chart's values.schema.json\)$",
    ):
        check_release(env, env.catalog.releases["app"])
    root = make_project({**chart, "overlays/dev/app-custom-values.yaml.j2": "host: x\nextar: x\n"})
    env = load_environment(root, "dev")
    with pytest.raises(
        OverlayError,
        match=r"app-custom-values.yaml.j2:2: overlay error: app: unknown key 'extar' \(the chart's values.schema.json\) \(hint: did you mean 'extra'\?\)",
    ):
        check_release(env, env.catalog.releases["app"])


def test_shipped_environments_are_clean(repo_root: Path) -> None:
    for name in ("default", "prod", "bcs-demo"):
        assert check_environment(load_environment(repo_root, name)) == [], name


def test_chart_schema_from_a_packaged_archive(make_project: Project, tmp_path: Path) -> None:
    from tests.charts.factory import build_chart, package

    chart = build_chart(tmp_path / "src", "app", "2.0.0")
    schema = {"type": "object", "properties": {"replicaCount": {"type": "integer", "minimum": 1}}}
    (chart / "values.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    root = make_project({"overlays/dev/app-custom-values.yaml.j2": "# fewer\nreplicaCount: 0\n"})
    package(chart, root / "overlays" / "dev" / "charts")
    env = load_environment(root, "dev")
    with pytest.raises(
        OverlayError,
        match=r"^overlays/dev/app-custom-values.yaml.j2:2: overlay error: app: replicaCount: 0 is less than the minimum of 1",
    ):
        check_release(env, env.catalog.releases["app"])


@pytest.mark.parametrize(
    ("path", "known"),
    [
        (("config", "log"), True),  # read by a template
        (("config",), True),  # a mapping a template reads into
        (("config", "log", "level"), True),  # below a path a template reads
        (("config", "log.level"), True),  # a key holding a dot, below it as text
        (("config", "other"), False),  # defined neither by defaults nor by a template
        (("global", "anything"), True),  # below an empty default: free-form
        (("nope",), False),
    ],
)
def test_a_chart_knows_the_paths_its_templates_read_and_its_defaults_hold(
    path: tuple[str, ...], known: bool
) -> None:
    from bkgen.charts.value_paths import ChartPaths

    chart = ChartPaths("c", "1.0.0", {"config": {"x": 1}, "global": {}}, frozenset({"config.log"}))
    assert chart.knows(path) is known
