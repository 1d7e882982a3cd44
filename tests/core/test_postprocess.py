"""Namespace defaulting, labels and the private-registry rewrite."""

from __future__ import annotations

import pytest

from bkgen.render.postprocess import CLUSTER_SCOPED, cluster_scoped_kinds, finish, rewrite_image

PRIVATE = "registry.example.com/mirror"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("hub.bktencent.com/blueking/bkrepo:1.3", f"{PRIVATE}/blueking/bkrepo:1.3"),
        ("nginx:1.25", f"{PRIVATE}/library/nginx:1.25"),
        ("docker.io/bitnami/mysql:8.0", f"{PRIVATE}/bitnami/mysql:8.0"),
        ("quay.io/prometheus/node-exporter:v1", "quay.io/prometheus/node-exporter:v1"),
        (f"{PRIVATE}/x:1", f"{PRIVATE}/x:1"),
    ],
)
def test_private_registry_rewrite(image: str, expected: str) -> None:
    assert rewrite_image(image, PRIVATE) == expected


def test_default_registry_changes_nothing() -> None:
    assert rewrite_image("nginx:1", "hub.bktencent.com") == "nginx:1"


def test_finish_sets_namespace_labels_and_images_without_mutating_input() -> None:
    body = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "x", "labels": {"keep": "me"}},
        "spec": {
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": "c", "image": "hub.bktencent.com/blueking/job:1"}
                            ],
                            "initContainers": [{"name": "i", "image": "busybox:1.36"}],
                        }
                    }
                }
            }
        },
    }
    out = finish(
        body,
        release="bk-job",
        namespace="blueking",
        cluster_kinds=CLUSTER_SCOPED,
        registry=PRIVATE,
        part_of="blueking",
    )
    assert out["metadata"]["namespace"] == "blueking"
    assert out["metadata"]["labels"] == {
        "keep": "me",
        "app.kubernetes.io/part-of": "blueking",
        "app.kubernetes.io/managed-by": "bkgen",
        "bkgen.io/release": "bk-job",
    }
    pod = out["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == f"{PRIVATE}/blueking/job:1"
    assert pod["initContainers"][0]["image"] == f"{PRIVATE}/library/busybox:1.36"
    assert "namespace" not in body["metadata"]


def test_cluster_scoped_objects_lose_namespace_and_crd_scopes_count() -> None:
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {"scope": "Cluster", "names": {"kind": "Tenant"}},
    }
    kinds = cluster_scoped_kinds([crd])
    assert "Tenant" in kinds
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "v", "namespace": "x"},
    }
    out = finish(
        pv,
        release="localpv",
        namespace="blueking",
        cluster_kinds=kinds,
        registry=PRIVATE,
        part_of="blueking",
    )
    assert "namespace" not in out["metadata"]


def test_argo_workflow_templates_are_rewritten() -> None:
    wf = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "w"},
        "spec": {
            "templates": [
                {"name": "t", "script": {"image": "docker.io/alpine/k8s:1.23.17"}},
                {"name": "u", "container": {"image": "python:3.11"}},
            ]
        },
    }
    out = finish(
        wf,
        release="s",
        namespace="blueking",
        cluster_kinds=CLUSTER_SCOPED,
        registry=PRIVATE,
        part_of="blueking",
    )
    assert out["spec"]["templates"][0]["script"]["image"] == f"{PRIVATE}/alpine/k8s:1.23.17"
    assert out["spec"]["templates"][1]["container"]["image"] == f"{PRIVATE}/library/python:3.11"
