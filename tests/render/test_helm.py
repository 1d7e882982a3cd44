"""The Helm path: charts built by the test, rendered with the real Helm engine."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import helm_python
import pytest

from bkgen.errors import RenderError
from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree, render_release
from bkgen.render import MODE_ARGOCD_HELM, MODE_HELM

Project = Callable[..., Path]

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
"""


def make_chart(charts: Path, name: str, version: str, *, crd: bool = False) -> Path:
    """`helm create` through the library, then pin the version the test wants."""
    charts.mkdir(parents=True, exist_ok=True)
    helm_python.Chart.create(name, charts).close()
    chart_dir = charts / name
    meta = chart_dir / "Chart.yaml"
    meta.write_text(meta.read_text().replace("version: 0.1.0", f"version: {version}"))
    if crd:
        (chart_dir / "crds").mkdir()
        (chart_dir / "crds" / "widget.yaml").write_text(CRD)
    return chart_dir


def test_local_chart_renders_with_values_and_drops_notes_and_tests(make_project: Project) -> None:
    root = make_project()
    make_chart(root / "overlays/dev/charts", "app", "2.0.0", crd=True)
    env = load_environment(root, "dev")
    result = render_release(env, env.catalog.releases["app"])
    assert result.mode == MODE_HELM
    kinds = sorted((m.body["kind"], m.body["metadata"]["name"]) for m in result.manifests)
    assert ("CustomResourceDefinition", "widgets.example.com") in kinds
    assert ("Deployment", "app") in kinds
    assert not any(k == "Pod" for k, _ in kinds), "helm test hooks must be dropped"
    deployment = next(m.body for m in result.manifests if m.body["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 1  # from replicaCount in app-values.yaml.j2


def test_packaged_chart_tgz_is_found(make_project: Project, tmp_path: Path) -> None:
    root = make_project()
    chart_dir = make_chart(tmp_path / "src", "app", "2.0.0")
    charts = root / "overlays/dev/charts"
    charts.mkdir(parents=True)
    with tarfile.open(charts / "app-2.0.0.tgz", "w:gz") as tar:
        tar.add(chart_dir, arcname="app")
    env = load_environment(root, "dev")
    assert render_release(env, env.catalog.releases["app"]).mode == MODE_HELM


def test_version_mismatch_is_an_error(make_project: Project) -> None:
    root = make_project()
    make_chart(root / "overlays/dev/charts", "app", "9.9.9")
    env = load_environment(root, "dev")
    with pytest.raises(
        RenderError, match=r"chart version 9\.9\.9 does not match the pinned 2\.0\.0"
    ):
        render_release(env, env.catalog.releases["app"])


def test_broken_chart_template_names_the_file_without_machine_paths(make_project: Project) -> None:
    root = make_project()
    chart = make_chart(root / "overlays/dev/charts", "app", "2.0.0")
    (chart / "templates" / "broken.yaml").write_text("x: {{ .Values.nope.deeper }}\n")
    env = load_environment(root, "dev")
    with pytest.raises(RenderError, match=r"helm template failed: .*broken.yaml") as err:
        render_release(env, env.catalog.releases["app"])
    assert str(root) not in str(err.value)


def test_absent_chart_goes_to_argocd_with_values_and_local_mode_refuses(
    make_project: Project,
) -> None:
    root = make_project()
    env = load_environment(root, "dev")
    result = render_release(env, env.catalog.releases["app"])
    assert result.mode == MODE_ARGOCD_HELM
    assert result.values == {"replicaCount": 1, "host": "app.example.test"}
    tree = build_tree(env)
    app = tree.files["argocd/apps/Application_dev-app.yaml"].decode()
    assert "chart: app" in app and "targetRevision: 2.0.0" in app
    assert "valuesObject:" in app and "host: app.example.test" in app
    assert "releases/app/values.yaml" in tree.files

    local = make_project(
        {"overlays/dev/env.yaml": 'kubeVersion: "1.23"\ngit: {repoURL: x}\ncharts: {mode: local}\n'}
    )
    env = load_environment(local, "dev")
    with pytest.raises(
        RenderError,
        match=r"chart app 2.0.0 for release 'app' is neither in the charts directory nor pulled",
    ):
        render_release(env, env.catalog.releases["app"])


def test_local_render_lands_in_release_dir_with_labels_and_namespace(make_project: Project) -> None:
    # `helm create`'s chart has no `host`: the base sets only what it defines
    root = make_project({"overlays/base/releases/app-values.yaml.j2": "replicaCount: 1\n"})
    make_chart(root / "overlays/dev/charts", "app", "2.0.0")
    tree = build_tree(load_environment(root, "dev"))
    text = tree.files["releases/app/Deployment_app.yaml"].decode()
    assert "namespace: demo" in text
    assert "bkgen.io/release: app" in text and "app.kubernetes.io/managed-by: bkgen" in text
    app = tree.files["argocd/apps/Application_dev-app.yaml"].decode()
    assert "path: rendered/dev/releases/app" in app
    assert "argocd.argoproj.io/sync-wave: '2'" in app
    assert "bkgen.io/needs: db" in app
