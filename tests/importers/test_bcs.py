"""Importing and instantiating the seed-003-shaped BCS template set, and every refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree, render_one
from tests.importers.conftest import run

GOLDEN = Path(__file__).parent / "golden" / "web-nginx"
SET_DIR = Path("overlays/dev/templatesets/web-nginx")


def _import(project: Path, source: Path, *extra: str) -> tuple[int, str, str]:
    return run("import", "bcs-template", "dev", str(source), "--root", str(project), *extra)


def _objects(project: Path) -> dict[str, dict]:
    tree = build_tree(load_environment(project, "dev"))
    return {
        name: next(yaml.safe_load_all(data.decode()))
        for name, data in tree.files.items()
        if name.startswith("releases/web-nginx/")
    }


def test_import_writes_an_ordinary_overlay_with_three_instances(
    bcs_project: Path, template_set: Path
) -> None:
    code, out, err = _import(bcs_project, template_set)
    assert (code, err) == (0, "")
    assert "5 manifests, 3 instances (dev, preprod, prod)" in out
    directory = bcs_project / SET_DIR
    for source in template_set.glob("*.yaml"):
        if source.name != "variables.yaml":  # manifests are kept byte for byte
            assert (directory / "manifests" / source.name).read_bytes() == source.read_bytes()
    assert not (directory / "manifests" / "variables.yaml").exists()
    env = load_environment(bcs_project, "dev")
    tset = env.template_sets["web-nginx"]
    assert [i.namespace for i in tset.instances] == ["dev", "preprod", "prod"]
    assert {k: v.scope for k, v in tset.variables.items()} == {
        "INSTANCE_NUM": "namespace",
        "NGINX_PORT": "namespace",
        "ROOM_NUM": "cluster",
        "SYS_NON_STANDARD_DATA_ID": "namespace",
        "SYS_STANDARD_DATA_ID": "namespace",
    }
    release = env.catalog.releases["web-nginx"]
    assert (release.source, release.suite, release.template_set) == (
        "templates",
        "bcs",
        "web-nginx",
    )


def test_instances_resolve_variables_by_scope(bcs_project: Path, template_set: Path) -> None:
    assert _import(bcs_project, template_set)[0] == 0
    objects = _objects(bcs_project)
    ports, replicas = {}, {}
    for ns in ("dev", "preprod", "prod"):
        deploy = objects[f"releases/web-nginx/Deployment.extensions_{ns}_web-nginx.yaml"]
        assert deploy["metadata"]["namespace"] == ns
        labels = deploy["metadata"]["labels"]
        assert labels["io.tencent.bcs.clusterid"] == "BCS-K8S-40015"  # cluster scope, bcs.yaml
        assert labels["io.tencent.paas.projectid"] == "794b6164a194ac2952b497e79a0b967d"
        assert labels["io.tencent.bcs.app.appid"] == "2"  # quoted in the template: a string
        assert labels["io.tencent.bcs.namespace"] == ns  # SYS_NAMESPACE
        container = deploy["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "hub.bktencent.com/public/nginx:1.17.0"  # from imageRegistry
        ports[ns] = container["ports"][0]["containerPort"]
        replicas[ns] = deploy["spec"]["replicas"]
        sts = objects[f"releases/web-nginx/StatefulSet.apps_{ns}_rumpetroll.yaml"]
        assert sts["spec"]["replicas"] == 3  # cluster value beats the set's default 2
    assert ports == {"dev": 8080, "preprod": 8081, "prod": 80}  # integers, not strings
    assert replicas == {"dev": 1, "preprod": 2, "prod": 3}  # dev falls back to the default
    conf = objects["releases/web-nginx/ConfigMap.core_prod_web-nginx-conf.yaml"]
    assert "listen       80;" in conf["data"]["default.conf"]
    assert "prod.nginx.bk.tencent.com" in conf["data"]["default.conf"]


def test_migrated_set_renders_and_validates_clean_golden(
    bcs_project: Path, template_set: Path, request: pytest.FixtureRequest
) -> None:
    assert _import(bcs_project, template_set)[0] == 0
    code, _, err = run("render", "dev", "--root", str(bcs_project), "-q")
    assert code == 1 and "[deprecated-api]" in err and "bkgen migrate-apis" not in err
    assert not (bcs_project / "rendered" / "dev").exists()  # nothing written
    assert run("migrate-apis", "dev", "--write", "--root", str(bcs_project))[0] == 0
    render_one(bcs_project, "dev")  # validates before writing: raises on any error finding
    # The set as BCS wrote it runs 2-3 replicas with no spread and no disruption budget:
    # real warnings (docs/environments.md), and the only ones.
    availability = "replica-spread,pod-disruption-budget"
    code, out, _ = run("validate", "dev", "--root", str(bcs_project), "--fail-on", "warning")
    assert code == 1 and "7 warnings" in out, out
    code, out, _ = run(
        "validate",
        "dev",
        "--root",
        str(bcs_project),
        "--fail-on",
        "warning",
        "--ignore",
        availability,
    )
    assert code == 0, out
    produced = {
        p.name: p.read_text()
        for p in sorted((bcs_project / "rendered/dev/releases/web-nginx").iterdir())
    }
    app = bcs_project / "rendered/dev/argocd/apps/Application_dev-web-nginx.yaml"
    produced["Application_dev-web-nginx.yaml"] = app.read_text()
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.iterdir():
            old.unlink()
        for name, text in produced.items():
            (GOLDEN / name).write_text(text)
    golden = {p.name: p.read_text() for p in sorted(GOLDEN.iterdir())}
    assert sorted(produced) == sorted(golden)
    assert produced == golden
    project = (bcs_project / "rendered/dev/argocd/bootstrap").glob("AppProject_*.yaml")
    text = next(p for p in project if not p.stem.endswith("-root")).read_text()
    for ns in ("dev", "preprod", "prod"):  # instances' namespaces are sync destinations
        assert f"namespace: {ns}\n" in text


def test_helm_release_receives_bcs_variables(bcs_project: Path) -> None:
    app = bcs_project / "rendered/dev/argocd/apps/Application_dev-app.yaml"
    render_one(bcs_project, "dev")
    values = next(yaml.safe_load_all(app.read_text()))["spec"]["source"]["helm"]["valuesObject"]
    expected = {
        "SYS_CC_APP_ID": 2,
        "SYS_CLUSTER_ID": "BCS-K8S-40015",
        "SYS_JFROG_DOMAIN": "hub.bktencent.com",
        "SYS_NAMESPACE": "demo",
        "SYS_PROJECT_ID": "794b6164a194ac2952b497e79a0b967d",
    }
    assert values["__BCS__"] == expected
    assert values["global"]["__BCS__"] == expected


def test_explain_shows_every_scope(bcs_project: Path, template_set: Path) -> None:
    assert _import(bcs_project, template_set)[0] == 0
    code, out, _ = run("explain", "dev", "web-nginx", "ROOM_NUM", "--root", str(bcs_project))
    assert code == 0
    assert out.splitlines()[:3] == [
        "web-nginx@dev: ROOM_NUM = 3  (cluster scope)",
        f"  set by {SET_DIR}/templateset.yaml:21  (default)",
        "  set by overlays/dev/bcs.yaml:8  (cluster)",
    ]
    code, out, _ = run(
        "explain", "dev", "web-nginx", "preprod.NGINX_PORT", "--root", str(bcs_project)
    )
    assert out == (
        "web-nginx@preprod: NGINX_PORT = 8081  (namespace scope)\n"
        f"  set by {SET_DIR}/templateset.yaml:17  (default)\n"
        f"  set by {SET_DIR}/templateset.yaml:37  (namespace)\n"
    )


# ---- refusals: one line naming file:line and the variable, exit 2, nothing written ---------


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err.strip()


def _nothing_written(project: Path) -> None:
    assert not (project / "overlays/dev/templatesets").exists()


def test_inferred_variable_without_value_is_undefined(
    bcs_project: Path, template_set: Path
) -> None:
    (template_set / "variables.yaml").write_text("[]\n")  # no definitions: all inferred
    code, out, err = _import(bcs_project, template_set, "--namespace", "dev")
    line = _one_line_error(code, out, err)
    assert re.search(
        r"^bkgen: \S*web-nginx/configmap-web-nginx-conf\.yaml:9:22: template error: "
        r"undefined variable NGINX_PORT in instance 'dev'",
        line,
    )
    _nothing_written(bcs_project)


def test_undefined_variable_names_file_line_and_key(bcs_project: Path, template_set: Path) -> None:
    path = template_set / "service-web-nginx.yaml"
    path.write_text(path.read_text().replace("port: 80", "port: {{SERVICE_PORT}}"))
    code, out, err = _import(bcs_project, template_set)
    line = _one_line_error(code, out, err)
    assert "web-nginx/service-web-nginx.yaml:15:11: template error: undefined variable " in line
    assert "SERVICE_PORT in instance 'dev'" in line
    _nothing_written(bcs_project)


def test_wrong_type_for_replicas(bcs_project: Path, template_set: Path) -> None:
    code, out, err = _import(bcs_project, template_set, "--set", "preprod:INSTANCE_NUM=two")
    line = _one_line_error(code, out, err)
    assert "web-nginx/deployment-web-nginx.yaml:16:13:" in line
    assert "variable INSTANCE_NUM = 'two' (instance 'preprod') is a string" in line
    assert "Deployment spec.replicas expects integer" in line
    _nothing_written(bcs_project)


def test_quoted_variable_in_an_integer_field(bcs_project: Path, template_set: Path) -> None:
    path = template_set / "deployment-web-nginx.yaml"
    path.write_text(path.read_text().replace("containerPort: {{", 'containerPort: "{{'))
    path.write_text(path.read_text().replace("NGINX_PORT}}   #", 'NGINX_PORT}}"  #'))
    line = _one_line_error(*_import(bcs_project, template_set))
    assert "variable NGINX_PORT = '8080'" in line and "(hint: remove the quotes" in line


def test_cluster_scoped_name_collides_across_instances(
    bcs_project: Path, template_set: Path
) -> None:
    (template_set / "clusterrole.yaml").write_text(
        "# 只读权限\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata:\n  name: web-nginx-reader\nrules: []\n"
    )
    line = _one_line_error(*_import(bcs_project, template_set))
    assert "web-nginx/clusterrole.yaml:5: template error: ClusterRole 'web-nginx-reader'" in line
    assert "of instance 'preprod' collides with 'dev'" in line
    assert "{{SYS_NAMESPACE}}" in line
    _nothing_written(bcs_project)


def test_name_from_variable_collides(bcs_project: Path, template_set: Path) -> None:
    (template_set / "clusterrole.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata:\n  name: reader-{{ROLE_SUFFIX}}\nrules: []\n"
    )
    line = _one_line_error(*_import(bcs_project, template_set, "--set", "ROLE_SUFFIX=web"))
    assert "clusterrole.yaml:4:" in line and "(name from variable ROLE_SUFFIX)" in line


def test_render_refuses_a_bad_edit_and_keeps_the_tree(
    bcs_project: Path, template_set: Path
) -> None:
    assert _import(bcs_project, template_set)[0] == 0
    run("migrate-apis", "dev", "--write", "--root", str(bcs_project))
    render_one(bcs_project, "dev")
    before = {p: p.read_bytes() for p in (bcs_project / "rendered").rglob("*") if p.is_file()}
    overlay = bcs_project / SET_DIR / "templateset.yaml"
    overlay.write_text(overlay.read_text().replace("NGINX_PORT: 8081", "NGINX_PROT: 8081"))
    line = _one_line_error(*run("render", "dev", "--root", str(bcs_project), "-q"))
    assert (
        f"{SET_DIR}/templateset.yaml:37: overlay error: instance 'preprod' sets 'NGINX_PROT'"
        in line
    )
    assert "did you mean 'NGINX_PORT'?" in line
    overlay.write_text(overlay.read_text().replace("NGINX_PROT: 8081", "SYS_CLUSTER_ID: x"))
    line = _one_line_error(*run("render", "dev", "--root", str(bcs_project), "-q"))
    assert "SYS_CLUSTER_ID is a system variable" in line and "cluster.id in bcs.yaml" in line
    after = {p: p.read_bytes() for p in (bcs_project / "rendered").rglob("*") if p.is_file()}
    assert after == before


def test_duplicate_instance_namespace(bcs_project: Path, template_set: Path) -> None:
    assert _import(bcs_project, template_set)[0] == 0
    overlay = bcs_project / SET_DIR / "templateset.yaml"
    overlay.write_text(overlay.read_text().replace("namespace: preprod", "namespace: dev"))
    line = _one_line_error(*run("catalog", "dev", "--root", str(bcs_project)))
    assert f"{SET_DIR}/templateset.yaml:34: overlay error: two instances in namespace 'dev'" in line


def test_import_needs_a_target_namespace_and_a_known_env(
    bcs_project: Path, template_set: Path
) -> None:
    single = template_set / "service-web-nginx.yaml"
    line = _one_line_error(*_import(bcs_project, single))
    assert "no target namespace" in line
    code, out, err = run("import", "bcs-template", "nope", str(single), "--root", str(bcs_project))
    assert "unknown environment 'nope'" in _one_line_error(code, out, err)
    code, out, _ = _import(bcs_project, single, "--namespace", "qa", "--set", "NGINX_PORT=9000")
    assert code == 0 and "1 manifests, 1 instances (qa)" in out
    assert (bcs_project / "overlays/dev/templatesets/service-web-nginx/manifests").is_dir()


def test_narrowest_scope_wins(bcs_project: Path, template_set: Path) -> None:
    """ROOM_NUM: default 2 < global 9 < cluster 3 < namespace 5 (prod only)."""
    bcs = bcs_project / "overlays/dev/bcs.yaml"
    bcs.write_text(
        bcs.read_text().replace("  ccAppId: 2\n", "  ccAppId: 2\n  variables:\n    ROOM_NUM: 9\n")
    )
    assert _import(bcs_project, template_set, "--set", "prod:ROOM_NUM=5")[0] == 0
    objects = _objects(bcs_project)
    rooms = {
        ns: objects[f"releases/web-nginx/StatefulSet.apps_{ns}_rumpetroll.yaml"]["spec"]["replicas"]
        for ns in ("dev", "preprod", "prod")
    }
    assert rooms == {"dev": 3, "preprod": 3, "prod": 5}
    _, out, _ = run("explain", "dev", "web-nginx", "prod.ROOM_NUM", "--root", str(bcs_project))
    assert [line.rsplit("(", 1)[1] for line in out.splitlines()[1:]] == [
        "default)",
        "global)",
        "cluster)",
        "namespace)",
    ]
    cluster = bcs.read_text().replace("  variables:\n    ROOM_NUM: 3\n", "")
    bcs.write_text(cluster)
    assert (
        _objects(bcs_project)["releases/web-nginx/StatefulSet.apps_dev_rumpetroll.yaml"]["spec"][
            "replicas"
        ]
        == 9
    )  # without a cluster value the global one applies
