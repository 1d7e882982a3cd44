"""Every policy rule: a case that fires and a case that does not."""

from __future__ import annotations

import pytest

from bkgen.validate.rules import BY_ID, RESOURCE_RULES, TREE_RULES
from bkgen.validate.rules.version_prereq import older
from tests.validate.conftest import Check, rules


def pod(image: str = "hub.bktencent.com/blueking/x:1.0", extra: str = "") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: x, namespace: ns}}
spec:
  selector: {{matchLabels: {{app: x}}}}
  template:
    metadata: {{labels: {{app: x}}}}
    spec:
{extra}      containers:
        - name: c
          image: {image}
          resources: {{requests: {{cpu: 1m}}, limits: {{cpu: 1m}}}}
          readinessProbe: {{tcpSocket: {{port: 1}}}}
          livenessProbe: {{tcpSocket: {{port: 1}}}}
"""


def test_every_rule_is_documented() -> None:
    assert len(RESOURCE_RULES) + len(TREE_RULES) == len(BY_ID) >= 14
    for rule in BY_ID.values():
        assert rule.SEVERITY in ("error", "warning", "info")
        assert rule.RATIONALE and "\n" not in rule.RATIONALE


@pytest.mark.parametrize(
    ("text", "kube", "expected"),
    [
        ("apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: a}\n", "1.23", "error"),
        ("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a}\n", "1.21", "warning"),
        (
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\nspec: {schedule: '* * * * *', jobTemplate: {spec: {template: {spec: {containers: []}}}}}\n",
            "1.23",
            "warning",
        ),
    ],
)
def test_deprecated_api(check: Check, text: str, kube: str, expected: str) -> None:
    report = check(text, kube_version=kube, ignore_missing_schemas=True)
    found = [f for f in report.findings if f.rule == "deprecated-api"]
    assert [f.severity for f in found] == [expected]
    assert "use " in found[0].hint


@pytest.mark.parametrize(
    ("image", "fires"),
    [
        ("nginx", True),
        ("nginx:latest", True),
        ("nginx:1.25", False),
        ("a/b@sha256:" + "0" * 64, False),
    ],
)
def test_image_tag(check: Check, image: str, fires: bool) -> None:
    assert ("image-tag" in rules(check(pod(image)))) is fires


def test_image_registry_allow_list(check: Check) -> None:
    assert "image-tag" in rules(
        check(pod("docker.io/library/nginx:1"), allowed_registries=("hub.bktencent.com",))
    )
    assert check(pod(), allowed_registries=("hub.bktencent.com",)).findings == []


def test_resources_and_probes(check: Check) -> None:
    bare = pod().replace("          resources: {requests: {cpu: 1m}, limits: {cpu: 1m}}\n", "")
    assert rules(check(bare)) == ["resources"]
    no_probe = pod().replace("          livenessProbe: {tcpSocket: {port: 1}}\n", "")
    report = check(no_probe)
    assert rules(report) == ["probes"] and report.findings[0].severity == "warning"


def test_names_and_label_values(check: Check) -> None:
    report = check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  labels: {a: "
        + "x" * 64
        + "}\n"
    )
    assert rules(report) == ["names", "names"]
    assert (
        check(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:x'}\n"
        ).findings
        == []
    )


def test_plaintext_secret(check: Check) -> None:
    assert rules(check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: YQ==}\n")) == [
        "plaintext-secret"
    ]
    assert (
        check(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: {kubernetes.io/service-account.name: x}}\ntype: kubernetes.io/service-account-token\n"
        ).findings
        == []
    )


def test_privileged_host_path_host_network(check: Check) -> None:
    text = pod(
        extra="      hostNetwork: true\n      volumes: [{name: h, hostPath: {path: /var/log}}]\n"
    )
    text = text.replace(
        "          livenessProbe",
        "          securityContext: {privileged: true}\n          livenessProbe",
    )
    report = check(text)
    assert [r for r in rules(report) if r != "host-escape"] == ["privileged"] * 3
    assert rules(report).count("host-escape") == 3  # and they are errors unless allowed


def test_annotation_suppresses_and_reports(check: Check) -> None:
    text = pod("nginx").replace(
        "metadata: {name: x, namespace: ns}",
        "metadata: {name: x, namespace: ns, annotations: {bkgen.io/ignore: image-tag}}",
    )
    report = check(text)
    assert report.findings == [] and [f.rule for f, _ in report.suppressed] == ["image-tag"]


def test_env_suppression_by_rule_and_resource_glob(check: Check) -> None:
    settings = {
        "suppressions": (
            {"rule": "image-tag", "resource": "Deployment/ns/*", "reason": "vendor image"},
        )
    }
    report = check(pod("nginx"), **settings)
    assert report.findings == [] and "vendor image" in report.suppressed[0][1]


SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80, name: http}}]\n{extra}"


def test_service_selector(check: Check) -> None:
    good = pod() + "---\n" + SERVICE.format(name="s", app="x", extra="")
    assert check(good).findings == []
    bad = pod() + "---\n" + SERVICE.format(name="s", app="nothing", extra="")
    assert rules(check(bad)) == ["service-selector"]


def test_ingress_backend(check: Check) -> None:
    ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: i, namespace: ns}}\nspec:\n  rules: [{{host: a.b, http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: s, port: {port}}}}}}}]}}}}]\n"
    service = SERVICE.format(name="s", app="x", extra="")
    assert (
        check(pod() + "---\n" + service + "---\n" + ingress.format(port="{number: 80}")).findings
        == []
    )
    assert rules(
        check(pod() + "---\n" + service + "---\n" + ingress.format(port="{number: 81}"))
    ) == ["ingress-backend"]
    assert rules(check(ingress.format(port="{name: http}"))) == ["ingress-backend"]
    assert (
        check(ingress.format(port="{name: http}"), external_refs=("Service/ns/s",)).findings == []
    )


def test_references_resolve_or_are_declared(check: Check) -> None:
    text = pod(extra="      volumes: [{name: c, configMap: {name: cfg}}]\n")
    assert rules(check(text)) == ["references"]
    config = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: ns}\n"
    assert check(text + config).findings == []
    annotated = text.replace(
        "metadata: {name: x, namespace: ns}",
        "metadata: {name: x, namespace: ns, annotations: {bkgen.io/external-refs: ConfigMap/cfg}}",
    )
    assert check(annotated).findings == []


def test_statefulset_needs_headless_service(check: Check) -> None:
    sts = (
        pod()
        .replace("kind: Deployment", "kind: StatefulSet")
        .replace("spec:\n  selector", "spec:\n  serviceName: db\n  selector")
    )
    missing = check(sts)
    # Kubernetes accepts a serviceName no Service has (bitnami mysql 4.5.5 of BlueKing 7.0
    # does it): the pods lack their per-pod DNS names, a warning.
    assert [(f.rule, f.severity) for f in missing.findings] == [("statefulset-headless", "warning")]
    # A normal Service is valid Kubernetes (bitnami charts do it): a warning, not an error.
    headed = check(sts + "---\n" + SERVICE.format(name="db", app="x", extra=""))
    assert [(f.rule, f.severity) for f in headed.findings] == [("statefulset-headless", "warning")]
    assert "per-pod DNS" in headed.findings[0].message
    headless = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: ns}\nspec:\n  clusterIP: None\n  selector: {app: x}\n  ports: [{port: 80}]\n"
    assert check(sts + "---\n" + headless).findings == []


def test_duplicates_across_files(check: Check, tmp_path: object) -> None:
    check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n", name="one/a.yaml")
    report = check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n", name="two/a.yaml"
    )
    assert rules(report) == ["duplicates"] and "one/a.yaml" in report.findings[0].message


def app(
    release: str, wave: int, needs: str = "", version: str = "1.0.0", platform: str = "7.1.3"
) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {release}
  namespace: argocd
  labels: {{bkgen.io/release: {release}}}
  annotations:
    argocd.argoproj.io/sync-wave: "{wave}"
    bkgen.io/needs: "{needs}"
    bkgen.io/version: "{version}"
    bkgen.io/blueking-version: "{platform}"
spec:
  project: p
  destination: {{server: https://kubernetes.default.svc, namespace: blueking}}
  source: {{repoURL: https://git.example.com/r.git, path: x}}
---
"""


APPS = "argocd/apps/apps.yaml"  # where bkgen's Applications live (`argocd-scope`)


def test_wave_order(check: Check) -> None:
    assert check(app("bk-mysql", 1) + app("bk-paas", 2, "bk-mysql"), APPS).findings == []
    report = check(app("bk-mysql", 2) + app("bk-paas", 2, "bk-mysql"), APPS)
    assert rules(report) == ["wave-order"] and report.findings[0].name == "bk-paas"


def test_version_prerequisites_of_the_monitor_suite(check: Check) -> None:
    ok = (
        app("bk-gse", 1, version="2.1.2-beta.20")
        + app("bk-apigateway", 1, version="1.11.3")
        + app("bk-monitor", 2)
    )
    assert check(ok, APPS).findings == []
    old = (
        app("bk-gse", 1, version="2.1.2-beta.9")
        + app("bk-apigateway", 1, version="1.10.0")
        + app("bk-monitor", 2, platform="7.1.2")
    )
    report = check(old, APPS)
    assert rules(report) == ["version-prereq"] * 3
    assert (
        check(app("bk-gse", 1, version="1.0.0"), APPS).findings == []
    )  # no monitor suite, no rule


@pytest.mark.parametrize(
    ("version", "minimum", "is_older"),
    [
        ("2.1.2-beta.9", "2.1.2-beta.20", True),
        ("2.1.2", "2.1.2-beta.20", False),
        ("2.1.2-beta.20", "2.1.2-beta.20", False),
        ("1.11.2", "1.11.3", True),
        ("v1.12.0", "1.11.3", False),
    ],
)
def test_semver_ordering(version: str, minimum: str, is_older: bool) -> None:
    assert older(version, minimum) is is_older


def test_references_resolve_to_what_the_tree_creates(check: Check) -> None:
    user = pod(extra="      volumes: [{name: s, secret: {secretName: db-creds}}]\n")
    assert rules(check(user)) == ["references"]
    external = (
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n"
        "metadata: {name: db, namespace: ns}\n"
        "spec: {secretStoreRef: {name: s}, target: {name: db-creds}}\n"
    )
    assert check(user + "---\n" + external).findings == []
    step = (
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\n"
        "metadata: {name: gen, namespace: ns, annotations: {bkgen.io/creates: 'Secret/db-creds'}}\n"
        "spec: {entrypoint: main, templates: [{name: main, container: {image: 'a/b:1', "
        "resources: {requests: {cpu: 1m}, limits: {cpu: 1m}}}}]}\n"
    )
    assert check(user + "---\n" + step).findings == []


def test_select_ignore_and_schema_only(check: Check) -> None:
    text = (
        pod(image="nginx")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\nbogus: 1\n"
    )
    assert sorted(set(rules(check(text)))) == ["image-tag", "schema"]
    assert rules(check(text, select=("schema", "yaml", "input"))) == ["schema"]
    assert rules(check(text, ignore=("schema",))) == ["image-tag"]
    assert rules(check(text, select=("image-tag",))) == ["image-tag"]


def test_unknown_rule_id_has_a_did_you_mean() -> None:
    from bkgen.errors import UsageError
    from bkgen.validate import checked_ids

    with pytest.raises(UsageError, match="did you mean 'image-tag'"):
        checked_ids(("image-tags",), ())


def test_schema_only_gives_a_verdict_per_resource_like_kubeconform(check: Check) -> None:
    """One finding per invalid resource, none for the valid one; a removed apiVersion has no
    schema and, with the deprecated-api rule not run, that is the finding (never a pass)."""
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\ndata: {a: 1}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
        "spec: {ports: [{port: 80}]}\n"
        "---\napiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: old, namespace: ns}\n"
    )
    report = check(text, select=("schema", "yaml", "input"))
    assert sorted((f.name, f.rule) for f in report.findings) == [("c", "schema"), ("old", "schema")]
    assert "no schema for apps/v1beta2 Deployment" in report.findings[-1].message
    full = check(text)
    assert ("old", "deprecated-api") in [(f.name, f.rule) for f in full.findings]
    assert ("old", "schema") not in [(f.name, f.rule) for f in full.findings]
