"""Schema validation: strict K8s schemas per version, CRDs, Lists, missing kinds."""

from __future__ import annotations

from pathlib import Path

from tests.validate.conftest import Check, rules

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: blueking
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: hub.bktencent.com/blueking/web:1.0.0
          resources: {requests: {cpu: 10m}, limits: {cpu: 100m}}
          readinessProbe: {tcpSocket: {port: 80}}
          livenessProbe: {tcpSocket: {port: 80}}
"""


def test_valid_deployment_is_clean(check: Check) -> None:
    report = check(DEPLOYMENT)
    assert report.findings == [] and report.resources == 1


def test_unknown_field_is_an_error_with_line_in_strict_mode_only(check: Check) -> None:
    text = DEPLOYMENT.replace("      containers:", "      bogus: 1\n      containers:")
    report = check(text)
    assert rules(report) == ["schema"]
    finding = report.findings[0]
    assert "bogus" in finding.message and finding.line == 12
    assert finding.kind == "Deployment" and finding.namespace == "blueking"
    assert check(text, strict=False).findings == []


def test_wrong_type_points_at_the_field(check: Check) -> None:
    report = check(DEPLOYMENT.replace("  selector:", "  replicas: two\n  selector:"))
    assert rules(report) == ["schema"]
    assert report.findings[0].line == 7 and "replicas" in report.findings[0].message


def test_missing_kind_and_api_version_are_findings(check: Check) -> None:
    report = check("metadata: {name: x}\n---\napiVersion: v1\nmetadata: {name: y}\n")
    assert [f.message for f in report.findings] == [
        "resource has no apiVersion or kind",
        "resource has no kind",
    ]
    assert [f.line for f in report.findings] == [1, 3]


def test_no_schema_is_an_error_unless_ignored(check: Check) -> None:
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
    assert rules(check(text)) == ["schema"]
    assert check(text, ignore_missing_schemas=True).findings == []


def test_crd_in_the_tree_validates_its_custom_resources(check: Check) -> None:
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: big}
"""
    report = check(crd)
    assert rules(report) == ["schema"] and "spec.size" in report.findings[0].message


def test_project_crd_schemas_cover_argo_objects(check: Check) -> None:
    app = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a, namespace: argocd}
spec:
  project: p
  destination: {server: https://kubernetes.default.svc, namespace: x}
  source: {repoURL: https://git.example.com/r.git, path: p, targetRevision: main, bogus: 1}
"""
    report = check(app, "argocd/apps/a.yaml")
    assert rules(report) == ["schema"] and "bogus" in report.findings[0].message


def test_list_is_expanded_and_empty_documents_skipped(check: Check) -> None:
    text = """\
---
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
    bogus: 1
"""
    report = check(text)
    assert report.resources == 2 and rules(report) == ["schema"]
    assert report.findings[0].name == "b"


def test_kube_version_selects_schema_set(check: Check) -> None:
    cronjob = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: "busybox:1.36", resources: {requests: {cpu: 1m}, limits: {cpu: 1m}}}]
"""
    assert check(cronjob, kube_version="1.23").findings == []
    assert rules(check(cronjob, kube_version="1.20")) == ["schema"]  # batch/v1 CronJob is 1.21+


def test_schema_location_template(check: Check, tmp_path: Path) -> None:
    schemas = tmp_path / "extra" / "v1.23.0"
    schemas.mkdir(parents=True)
    (schemas / "widget-example-v1.json").write_text(
        '{"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}'
    )
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
    location = str(
        tmp_path
        / "extra"
        / "{{ .NormalizedKubernetesVersion }}"
        / "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )
    report = check(text, name="in/w.yaml", schema_locations=(location,))
    assert rules(report) == ["schema"] and "spec" in report.findings[0].message
