"""What real charts do to a render: hooks, null fields, capabilities, warnings, bad input."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.overlay.capabilities import builtin_api_versions
from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree, env_api_versions, render_release
from bkgen.render.hooks import translate
from tests.charts.factory import build_chart, package

Project = Callable[..., Path]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def job(annotations: dict[str, str]) -> dict[str, object]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "annotations": annotations},
    }


@pytest.mark.parametrize(
    ("helm", "argo"),
    [
        (
            {
                "helm.sh/hook": "pre-install,pre-upgrade",
                "helm.sh/hook-weight": "-5",
                "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
            },
            {
                "argocd.argoproj.io/hook": "PreSync",
                "argocd.argoproj.io/sync-wave": "-5",
                "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded",
            },
        ),
        ({"helm.sh/hook": "post-install"}, {"argocd.argoproj.io/hook": "PostSync"}),
        (
            {"helm.sh/hook": "pre-install,post-upgrade"},
            {"argocd.argoproj.io/hook": "PostSync,PreSync"},
        ),
        ({"helm.sh/hook": "crd-install"}, {}),
    ],
)
def test_helm_hooks_become_argo_cd_hooks(helm: dict[str, str], argo: dict[str, str]) -> None:
    result = translate(job({**helm, "keep": "me"}))
    assert result.body is not None
    assert result.body["metadata"]["annotations"] == {**argo, "keep": "me"}  # type: ignore[index]


def test_test_hooks_and_delete_hooks_do_not_reach_the_cluster() -> None:
    assert translate(job({"helm.sh/hook": "test"})).body is None
    dropped = translate(job({"helm.sh/hook": "pre-delete"}))
    assert dropped.body is None and "pre-delete has no Argo CD equivalent" in str(dropped.note)
    mixed = translate(job({"helm.sh/hook": "post-install,post-delete"}))
    assert mixed.body is not None and "post-delete dropped" in str(mixed.note)


def test_null_annotations_hooks_and_capabilities_in_a_real_render(make_project: Project) -> None:
    capability = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caps\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        '  monitor: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}\n'
        '  ingress: {{ .Capabilities.APIVersions.Has "networking.k8s.io/v1/Ingress" | quote }}\n'
    )
    root = make_project(
        {
            "overlays/dev/env.yaml": 'kubeVersion: "1.21"\ngit: {repoURL: x}\n',
            "overlays/base/releases/app-values.yaml.j2": "existingSecret: s\n",
        }
    )
    build_chart(
        root / "overlays/dev/charts", "app", "2.0.0", extra_templates={"caps.yaml": capability}
    )
    env = load_environment(root, "dev")
    result = render_release(env, env.catalog.releases["app"])
    by_name = {m.body["metadata"]["name"]: m.body for m in result.manifests}
    assert by_name["caps"]["data"] == {"kube": "v1.21.0", "monitor": "false", "ingress": "true"}
    assert "app-test" not in by_name and "app-cleanup" not in by_name
    assert by_name["app-migrate"]["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert any("pre-delete" in note for note in result.notes)
    raw = by_name["app"]["spec"]["template"]["metadata"]  # type: ignore[index]
    assert "annotations" in raw and raw["annotations"] is None  # what the chart wrote
    tree = build_tree(env)
    deployment = tree.files["releases/app/Deployment_app.yaml"].decode()
    assert "null" not in deployment  # dropped, as the API server stores it


def test_api_versions_follow_enabled_releases(repo_root: Path) -> None:
    base = load_environment(repo_root, "default")
    prod = load_environment(repo_root, "prod")
    assert "monitoring.coreos.com/v1/ServiceMonitor" not in env_api_versions(base)
    assert "monitoring.coreos.com/v1/ServiceMonitor" in env_api_versions(prod)
    assert "argoproj.io/v1alpha1/Application" in env_api_versions(base)
    assert "networking.k8s.io/v1beta1/Ingress" in builtin_api_versions("1.21")
    assert "networking.k8s.io/v1beta1/Ingress" not in builtin_api_versions("1.23")


def test_helm_warnings_go_to_the_summary_not_stderr(
    make_project: Project, capfd: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        {"overlays/base/releases/app-values.yaml.j2": "existingSecret: s\nimage: flat\n"}
    )
    build_chart(root / "overlays/dev/charts", "app", "2.0.0")
    env = load_environment(root, "dev")
    with pytest.raises(Exception):  # noqa: B017 - the flat image breaks the template
        render_release(env, env.catalog.releases["app"])
    root = make_project(
        {"overlays/base/releases/app-values.yaml.j2": "existingSecret: s\nsecretKey: {nested: 1}\n"}
    )
    build_chart(root / "overlays/dev/charts", "app", "2.0.0")
    env = load_environment(root, "dev")
    capfd.readouterr()
    result = render_release(env, env.catalog.releases["app"])
    captured = capfd.readouterr()
    assert "skipped value" not in captured.err
    assert "helm: skipped value for app.secretKey: Not a table." in result.notes, result.notes


def _previous_tree(root: Path) -> dict[str, bytes]:
    tree = root / "rendered/dev"
    return {str(p): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("break_chart", "expected"),
    [
        ("corrupt", "overlays/dev/charts/app-2.0.0.tgz: render error: cannot load chart"),
        ("no-chart-yaml", "overlays/dev/charts/app-2.0.0.tgz: render error: cannot load chart"),
        ("template-error", "overlays/dev/charts/app: render error: helm template failed"),
        ("required", "overlays/dev/charts/app: render error: helm template failed"),
    ],
)
def test_bad_chart_input_is_one_line_and_keeps_the_tree(
    make_project: Project, tmp_path: Path, break_chart: str, expected: str
) -> None:
    root = make_project({"overlays/base/releases/app-values.yaml.j2": "existingSecret: s\n"})
    charts = root / "overlays/dev/charts"
    build_chart(charts, "app", "2.0.0")
    assert run("render", "dev", "-q", "--root", str(root))[0] == 0
    before = _previous_tree(root)
    if break_chart == "corrupt":
        import shutil

        shutil.rmtree(charts / "app")
        (charts / "app-2.0.0.tgz").write_bytes(b"\x1f\x8b\x08 definitely not a chart")
    elif break_chart == "no-chart-yaml":
        import shutil

        shutil.rmtree(charts / "app")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            info = tarfile.TarInfo("app/values.yaml")
            info.size = 2
            archive.addfile(info, io.BytesIO(b"{}"))
        (charts / "app-2.0.0.tgz").write_bytes(buffer.getvalue())
    elif break_chart == "template-error":
        (charts / "app/templates/broken.yaml").write_text("{{ .Values.nope.deeper }\n")
    else:
        (charts / "app/templates/required.yaml").write_text(
            '{{ required "dbHost is required" .Values.dbHost }}\n'
        )
    code, out = run("render", "dev", "-q", "--root", str(root))
    assert code == 1
    assert out.count("\n") == 1 and out.startswith(f"bkgen: {expected}"), out
    assert "Traceback" not in out and str(tmp_path) not in out
    if break_chart == "required":
        assert "dbHost is required" in out
    assert _previous_tree(root) == before
    assert not [p for p in (root / "rendered").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("app-no-chart-yaml", "overlays/dev/charts/app: overlay error: chart directory without"),
        ("typo", "overlays/dev/charts/apq: overlay error: bkgen does not read this chart: no "),
        ("version", "overlays/dev/charts/app-1.9.0.tgz: overlay error: bkgen does not read this"),
    ],
)
def test_a_chart_entry_no_render_reads_is_an_error_not_skipped(
    make_project: Project, entry: str, expected: str
) -> None:
    root = make_project({"overlays/base/releases/app-values.yaml.j2": "existingSecret: s\n"})
    charts = root / "overlays/dev/charts"
    build_chart(charts, "app", "2.0.0")
    (charts / "README.md").write_text("vendored charts\n")  # documentation is not a chart
    assert run("render", "dev", "-q", "--root", str(root))[0] == 0
    before = _previous_tree(root)
    if entry == "app-no-chart-yaml":
        (charts / "app/Chart.yaml").unlink()
    elif entry == "typo":
        (charts / "app").rename(charts / "apq")
    else:
        package(charts / "app", charts)
        (charts / "app-2.0.0.tgz").rename(charts / "app-1.9.0.tgz")
    code, out = run("render", "dev", "-q", "--root", str(root))
    assert code == 2, out
    assert out.count("\n") == 1 and out.startswith(f"bkgen: {expected}"), out
    if entry == "typo":
        assert "did you mean 'app'?" in out
    if entry == "version":
        assert "'app' is pinned to 2.0.0" in out
    assert _previous_tree(root) == before


def test_a_hook_with_dropped_and_unknown_phases_keeps_both_notes() -> None:
    result = translate(job({"helm.sh/hook": "post-install,pre-delete,pre-frobnicate"}))
    assert result.body is not None
    assert "pre-delete dropped" in str(result.note)
    assert "unknown Helm hook pre-frobnicate" in str(result.note)
