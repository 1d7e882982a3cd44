"""The security policy rules (#25): one case per way each rule is tripped, plus the
allow-list that lets BlueKing's own objects through, plus proof that nothing inside the
tree (annotation, env.yaml suppression) switches them off."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkgen.gitops.trusted import load_policy
from bkgen.validate.rules import SECURITY_RULES
from tests.validate.conftest import Check, rules

CRB = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %s}
subjects: [{kind: %s, name: %s, apiGroup: rbac.authorization.k8s.io}]
"""
ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules: [{apiGroups: [%s], resources: [%s], verbs: [%s]}]
"""


def _pod(spec: str, kind: str = "Pod", namespace: str = "blueking", name: str = "p") -> str:
    head = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
    body = (
        "spec:\n  containers:\n    - name: c\n      image: hub.bktencent.com/x:1\n"
        "      resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {cpu: 1m, memory: 1Mi}}\n"
    )
    return head + body + spec


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (CRB % ("x", "cluster-admin", "ServiceAccount", "s"), "grants cluster-admin"),
        (CRB % ("x", "view", "Group", "system:authenticated"), "binds system:authenticated"),
        (CRB % ("x", "view", "Group", "system:unauthenticated"), "system:unauthenticated"),
        (CRB % ("x", "view", "Group", "system:serviceaccounts"), "system:serviceaccounts"),
        (ROLE % ("''", "pods", "'*'"), "every verb"),
        (ROLE % ("''", "'*'", "get"), "resources *"),
        (ROLE % ("'*'", "pods", "get"), "apiGroups *"),
        (ROLE % ("rbac.authorization.k8s.io", "clusterroles", "escalate"), "'escalate'"),
        (ROLE % ("rbac.authorization.k8s.io", "clusterroles", "bind"), "'bind'"),
        (ROLE % ("''", "users", "impersonate"), "'impersonate'"),
    ],
)
def test_rbac_escalation(check: Check, text: str, needle: str) -> None:
    report = check(text)
    hits = [f for f in report.findings if f.rule == "rbac-escalation"]
    assert hits and needle in hits[0].message and hits[0].severity == "error"


def test_rbac_allow_list_names_the_paas3_binding(check: Check) -> None:
    text = CRB % ("bkpaas3-cluster-admin", "cluster-admin", "ServiceAccount", "s")
    assert "rbac-escalation" in rules(check(text))
    allowed = check(text, allow={"clusterAdmin": ("ClusterRoleBinding/bkpaas3-cluster-admin",)})
    assert "rbac-escalation" not in rules(allowed)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("  hostNetwork: true\n", "hostNetwork"),
        ("  hostPID: true\n", "hostPID"),
        ("  hostIPC: true\n", "hostIPC"),
        ("  volumes: [{name: v, hostPath: {path: /etc}}]\n", "hostPath /etc"),
        ("  volumes: [{name: v, hostPath: {path: /mnt/blueking/../../etc}}]\n", "hostPath"),
        ("  serviceAccountName: kube-proxy\n", "kube-system service account"),
    ],
)
def test_host_escape(check: Check, spec: str, needle: str) -> None:
    namespace = "kube-system" if "serviceAccount" in spec else "blueking"
    report = check(_pod(spec, namespace=namespace), allow={"hostPath": ("/mnt/blueking/*",)})
    hits = [f for f in report.findings if f.rule == "host-escape"]
    assert hits and needle in hits[0].message, report.findings


def test_privileged_and_capabilities(check: Check) -> None:
    text = _pod("").replace(
        "      resources:",
        "      securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN, "
        "NET_BIND_SERVICE]}}\n      resources:",
    )
    report = check(text, allow={"capabilities": ("NET_BIND_SERVICE",)})
    messages = [f.message for f in report.findings if f.rule == "host-escape"]
    assert any("is privileged" in m for m in messages)
    assert any("adds capability SYS_ADMIN" in m for m in messages)
    assert not any("NET_BIND_SERVICE" in m for m in messages)


def test_host_allow_lists(check: Check) -> None:
    text = _pod(
        "  hostNetwork: true\n  volumes: [{name: v, hostPath: {path: /mnt/blueking/vol01}}]\n",
        namespace="ingress-nginx",
    )
    allow = {"hostNetwork": ("Pod/ingress-nginx/*",), "hostPath": ("/mnt/blueking/*",)}
    assert "host-escape" not in rules(check(text, allow=allow))


def test_admission_webhooks(check: Check) -> None:
    text = (
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n"
        "metadata: {name: inject}\nwebhooks: []\n"
    )
    assert "admission-webhook" in rules(check(text))
    allowed = check(text, allow={"webhooks": ("MutatingWebhookConfiguration/inject",)})
    assert "admission-webhook" not in rules(allowed)


@pytest.mark.parametrize("group", ["apps", "argoproj.io", "rbac.authorization.k8s.io", ""])
def test_crd_for_a_protected_group(check: Check, group: str) -> None:
    text = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: x.y}\nspec:\n"
        f"  group: '{group}'\n  names: {{kind: X, plural: xs}}\n  scope: Namespaced\n"
        "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
        "{type: object}}}]\n"
    )
    assert "crd-override" in rules(check(text))


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("type: NodePort", "NodePort"),
        ("type: LoadBalancer", "LoadBalancer"),
        ("externalIPs: [1.2.3.4]", "externalIPs"),
    ],
)
def test_exposed_services(check: Check, spec: str, needle: str) -> None:
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: blueking}\n"
        f"spec:\n  {spec}\n  selector: {{app: s}}\n  ports: [{{port: 80}}]\n"
    )
    hits = [f for f in check(text).findings if f.rule == "exposed-service"]
    assert hits and needle in hits[0].message
    allow = dict.fromkeys(("nodePort", "loadBalancer", "externalIPs"), ("Service/blueking/s",))
    assert "exposed-service" not in rules(check(text, allow=allow))


def test_annotations_and_env_suppressions_cannot_silence_security_rules(check: Check) -> None:
    text = (CRB % ("x", "cluster-admin", "ServiceAccount", "s")).replace(
        "metadata: {name: x}",
        "metadata: {name: x, annotations: {bkgen.io/ignore: rbac-escalation}}",
    )
    everything = ({"rule": "*", "resource": "*"}, {"rule": "rbac-escalation", "resource": "*"})
    report = check(text, suppressions=everything)
    assert "rbac-escalation" in rules(report)
    trusted = check(text, trusted_suppressions=({"rule": "rbac-escalation", "resource": "*"},))
    assert "rbac-escalation" not in rules(trusted)
    assert [why for _, why in trusted.suppressed] == ["policy: suppressed"]


def test_the_security_rules_are_marked() -> None:
    assert {
        "rbac-escalation",
        "host-escape",
        "admission-webhook",
        "crd-override",
        "exposed-service",
        "argocd-scope",
        "duplicates",
        "plaintext-secret",
    } <= SECURITY_RULES


def test_the_shipped_policy_parses(repo_root: Path) -> None:
    policy = load_policy(repo_root)
    assert policy.allowed("clusterAdmin", "ClusterRoleBinding/bkpaas3-cluster-admin")
    assert ("", "Namespace") in policy.cluster_kinds and "blueking" in policy.namespaces
