"""Platforms as data: an env selects a catalog folder; the Skiff catalog renders with waves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import OverlayError
from bkgen.overlay.load import load_environment
from bkgen.overlay.names import list_environments
from bkgen.overlay.platforms import list_platforms
from bkgen.pipeline import render_env_to
from bkgen.yamlio import load_file

Project = Callable[..., Path]

# A platform of two releases that shares nothing with the BlueKing catalog.
MINI = {
    "overlays/platforms/mini/catalog.yaml": """\
        platform: Mini 1.0
        partOf: mini
        repositories: {}
        seqOrder: [pre, storage, apps]
        suites: {core: the only suite}
        releases:
          store:
            templates: store
            namespace: mini-data
            suite: core
            seq: storage
          web:
            templates: web
            suite: core
            seq: apps
            needs: [store]
        """,
    "overlays/platforms/mini/versions.yaml": "version: {}\n",
    "overlays/platforms/mini/values.yaml": "namespace: mini-web\nport: 8080\n",
    "overlays/platforms/mini/values.schema.json": """\
        {"type": "object", "additionalProperties": false,
         "properties": {"namespace": {"type": "string"},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535}}}
        """,
    "overlays/platforms/mini/templates/store/svc.yaml.j2": """\
        apiVersion: v1
        kind: Service
        metadata: {name: store}
        spec: {ports: [{port: 5432}], selector: {app: store}}
        """,
    "overlays/platforms/mini/templates/web/svc.yaml.j2": """\
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: {{ values.port }}}], selector: {app: web}}
        """,
    "overlays/mini-dev/env.yaml": """\
        platform: mini
        kubeVersion: "1.23"
        suites: [core]
        git: {repoURL: https://git.example.com/mini.git}
        """,
    "overlays/base/policy.yaml": "argocd:\n  namespaces: [demo, mini-data, mini-web]\n",
}


def test_a_platform_added_as_data_renders_with_its_own_labels_and_waves(
    make_project: Project, tmp_path: Path
) -> None:
    root = make_project(MINI)
    assert list_platforms(root) == ["mini"]
    assert list_environments(root) == ["dev", "mini-dev"]
    env = load_environment(root, "mini-dev")
    assert env.base_dir == root / "overlays" / "platforms" / "mini"
    assert env.plan.waves == {"store": 0, "web": 1}
    out = tmp_path / "out"
    render_env_to(root, "mini-dev", out)
    web = load_file(out / "releases" / "web" / "Service_web.yaml")
    assert web["metadata"]["namespace"] == "mini-web"
    assert web["metadata"]["labels"]["app.kubernetes.io/part-of"] == "mini"
    assert web["spec"]["ports"] == [{"port": 8080}]
    app = load_file(out / "argocd" / "apps" / "Application_mini-dev-store.yaml")
    assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "0"
    assert "bkgen.io/blueking-version" not in app["metadata"]["annotations"]
    # The BlueKing env of the same project still deploys overlays/base.
    assert load_environment(root, "dev").catalog.releases.keys() == {"namespaces", "db", "app"}


def test_unknown_platform_is_one_line_with_a_suggestion(make_project: Project) -> None:
    files = dict(MINI)
    files["overlays/mini-dev/env.yaml"] = files["overlays/mini-dev/env.yaml"].replace(
        "platform: mini", "platform: mnii"
    )
    root = make_project(files)
    with pytest.raises(OverlayError, match="unknown platform 'mnii'") as caught:
        load_environment(root, "mini-dev")
    assert caught.value.location is not None
    assert caught.value.location.line == 1
    result = CliRunner().invoke(cli, ["render", "mini-dev", "--root", str(root)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "did you mean 'mini'?" in result.output
    assert not (root / "rendered" / "mini-dev").exists()


def test_skiff_storage_deploys_before_its_users(repo_root: Path) -> None:
    env = load_environment(repo_root, "skiff")
    assert env.catalog.platform == "Skiff control cluster"
    waves = env.plan.waves
    storage = {n for n, r in env.catalog.releases.items() if r.seq == "storage"}
    users = {
        n: set(r.needs) & storage for n, r in env.catalog.releases.items() if set(r.needs) & storage
    }
    assert set(users) >= {"apm-collector", "gtxs-server", "harbor", "ncs", "platform-user-auth"}
    for user, stores in users.items():
        assert all(waves[s] < waves[user] for s in stores), user
    assert waves["namespaces"] < waves["localstorage-provisioner"] < waves["apm-redis"]
    assert waves["ingress-nginx"] < waves["keepalived-ingress"]


@pytest.mark.parametrize("env", ["mini-dev", "mini-stag"])
def test_set_checks_keys_against_the_env_s_platform_values(make_project: Project, env: str) -> None:
    """`extends:` carries the platform (mini-stag extends mini-dev): editing commands read
    a child's platform the way loading it does, not BlueKing's."""
    root = make_project({**MINI, "overlays/mini-stag/env.yaml": "extends: mini-dev\n"})
    assert load_environment(root, env).base_dir == root / "overlays/platforms/mini"
    runner = CliRunner()
    ok = runner.invoke(cli, ["set", env, "port=9090", "--root", str(root)])
    assert ok.exit_code == 0, ok.output
    assert load_environment(root, env).values.values["port"] == 9090
    bad = runner.invoke(cli, ["set", env, "replicas=2", "--root", str(root)])
    assert bad.exit_code == 2
    assert "not in overlays/platforms/mini/values.yaml" in bad.output


def test_a_platform_types_its_own_values(make_project: Project) -> None:
    """Its values.schema.json checks values.yaml and every env's custom.yaml (BlueKing's
    schema would refuse its keys); `set` checks against it before writing."""
    root = make_project({**MINI, "overlays/mini-dev/custom.yaml": "port: 80800\n"})
    with pytest.raises(OverlayError) as err:
        load_environment(root, "mini-dev")
    assert str(err.value.location) == "overlays/mini-dev/custom.yaml:1:1"
    assert "port: 80800 is greater than the maximum of 65535" in err.value.message
    (root / "overlays/mini-dev/custom.yaml").write_text("port: 8081\n")
    before = (root / "overlays/mini-dev/custom.yaml").read_bytes()
    bad = CliRunner().invoke(cli, ["set", "mini-dev", "port=abc", "--root", str(root)])
    assert bad.exit_code == 2 and "refused port=abc" in bad.output
    assert (root / "overlays/mini-dev/custom.yaml").read_bytes() == before


def test_a_platform_without_a_values_schema_is_one_line(make_project: Project) -> None:
    files = {k: v for k, v in MINI.items() if not k.endswith("values.schema.json")}
    root = make_project(files)
    with pytest.raises(OverlayError, match=r"values\.schema\.json is missing") as err:
        load_environment(root, "mini-dev")
    assert str(err.value.location) == "overlays/platforms/mini/values.schema.json"


def test_an_unknown_custom_key_names_the_platform_s_values_file(make_project: Project) -> None:
    """Behind an open schema the known-keys check still holds, naming the platform's file."""
    root = make_project(
        {
            **MINI,
            "overlays/platforms/mini/values.schema.json": '{"type": "object"}\n',
            "overlays/mini-dev/custom.yaml": "prot: 9090\n",
        }
    )
    with pytest.raises(OverlayError) as err:
        load_environment(root, "mini-dev")
    assert err.value.message == "unknown key 'prot' (not in overlays/platforms/mini/values.yaml)"
    assert err.value.hint == "did you mean 'port'?"
