"""The Argo CD objects bkgen renders: root, children, project, data-safe annotations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from bkgen.validate import ValidateSettings, validate_paths


def _doc(files: dict[str, bytes], path: str) -> dict[str, Any]:
    loaded = yaml.safe_load(files[path])
    assert isinstance(loaded, dict)
    return loaded


def _rendered(repo_root: Path, env: str, rel: str) -> dict[str, Any]:
    loaded = yaml.safe_load((repo_root / "rendered" / env / rel).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_root_retries_forever_has_no_finalizer_and_ignores_child_pauses(repo_root: Path) -> None:
    """Points 4, 5, 6: a Degraded child fails the root's operation; a finite retry would stop
    auto-sync for that commit; deleting the root must not cascade; pausing a child sticks."""
    for env in ("default", "prod"):
        root = _rendered(repo_root, env, f"argocd/bootstrap/Application_{env}-root.yaml")
        assert "finalizers" not in root["metadata"]
        policy = root["spec"]["syncPolicy"]
        assert policy["retry"]["limit"] == -1
        assert "RespectIgnoreDifferences=true" in policy["syncOptions"]
        (ignore,) = root["spec"]["ignoreDifferences"]
        assert ignore["kind"] == "Application"
        assert "/spec/syncPolicy/automated" in ignore["jsonPointers"]
        assert "/operation" in ignore["jsonPointers"]


def test_children_keep_their_finalizer_and_env_retry(repo_root: Path) -> None:
    child = _rendered(repo_root, "prod", "argocd/apps/Application_prod-bk-job.yaml")
    assert child["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert child["spec"]["syncPolicy"]["retry"]["limit"] == 10
    assert child["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}


def test_server_side_apply_children_ignore_statefulset_claim_templates(repo_root: Path) -> None:
    ssa = _rendered(repo_root, "default", "argocd/apps/Application_default-bk-mysql.yaml")
    assert "ServerSideApply=true" in ssa["spec"]["syncPolicy"]["syncOptions"]
    assert "RespectIgnoreDifferences=true" in ssa["spec"]["syncPolicy"]["syncOptions"]
    (ignore,) = ssa["spec"]["ignoreDifferences"]
    assert (ignore["group"], ignore["kind"]) == ("apps", "StatefulSet")
    assert all(p.startswith(".spec.volumeClaimTemplates[]?") for p in ignore["jqPathExpressions"])
    plain = _rendered(repo_root, "default", "argocd/apps/Application_default-bk-job.yaml")
    assert "ignoreDifferences" not in plain["spec"]


def test_project_whitelists_exact_kinds_when_everything_renders_here(
    make_project: Callable[..., Path],
) -> None:
    """Point 6: no '*' for cluster-scoped kinds; exact kinds when all charts render here."""
    catalog = """\
        repositories: {}
        seqOrder: [pre]
        suites: {base: test suite}
        releases:
          namespaces: {templates: namespaces, suite: base, seq: pre}
        """
    root = make_project(
        {"overlays/base/catalog.yaml": catalog, "overlays/base/versions.yaml": "version: {}\n"}
    )
    files = build_tree(load_environment(root, "dev")).files
    project = _doc(files, "argocd/bootstrap/AppProject_bkce7-dev.yaml")
    assert project["spec"]["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert project["spec"]["orphanedResources"] == {"warn": True}


def test_project_fallback_without_wildcards_and_no_orphan_watch_on_kube_system(
    repo_root: Path,
) -> None:
    project = _rendered(repo_root, "prod", "argocd/bootstrap/AppProject_bkce7-prod.yaml")
    kinds = {(k["group"], k["kind"]) for k in project["spec"]["clusterResourceWhitelist"]}
    assert ("*", "*") not in kinds and all("*" not in g + k for g, k in kinds)
    assert {
        ("", "Namespace"),
        ("", "PersistentVolume"),
        ("storage.k8s.io", "StorageClass"),
    } <= kinds
    assert ("apiextensions.k8s.io", "CustomResourceDefinition") in kinds
    destinations = {d["namespace"] for d in project["spec"]["destinations"]}
    assert "kube-system" in destinations
    assert "orphanedResources" not in project["spec"]


def test_stateful_objects_survive_prune_and_cascading_delete(repo_root: Path) -> None:
    """Point 5: every Namespace, PV and PVC bkgen renders carries Delete=false,Prune=false."""
    seen = set()
    for env in ("default", "prod"):
        for path in (repo_root / "rendered" / env / "releases").rglob("*.yaml"):
            doc = yaml.safe_load(path.read_text())
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") in ("Namespace", "PersistentVolume", "PersistentVolumeClaim"):
                options = doc["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
                assert {"Delete=false", "Prune=false"} <= set(options.split(",")), path
                seen.add(doc["kind"])
    assert seen == {"Namespace", "PersistentVolume", "PersistentVolumeClaim"}


NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: data\n{extra}"


def _findings(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    (tmp_path / "ns.yaml").write_text(text)
    report = validate_paths([tmp_path], ValidateSettings(jobs=1))
    return [(f.rule, str(f.severity)) for f in report.findings if f.rule == "data-safe-delete"]


def test_rule_flags_stateful_objects_without_the_options(tmp_path: Path) -> None:
    bkgen_labels = "  labels:\n    bkgen.io/release: namespaces\n"
    assert _findings(tmp_path, NAMESPACE.format(extra=bkgen_labels)) == [
        ("data-safe-delete", "error")
    ]
    assert _findings(tmp_path, NAMESPACE.format(extra="")) == [("data-safe-delete", "warning")]
    half = "  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\n" + bkgen_labels
    assert _findings(tmp_path, NAMESPACE.format(extra=half)) == [("data-safe-delete", "error")]
    safe = "  annotations:\n    argocd.argoproj.io/sync-options: Delete=false, Prune=false\n"
    assert _findings(tmp_path, NAMESPACE.format(extra=safe)) == []


def test_protect_keeps_other_options_and_overrides_contrary_ones() -> None:
    from bkgen.argocd.retain import protect

    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"annotations": {"argocd.argoproj.io/sync-options": "Replace=true,Prune=true"}},
    }
    protect(body)
    assert (
        body["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
        == "Replace=true,Delete=false,Prune=false"
    )
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}
    assert protect(dict(secret)) == secret
