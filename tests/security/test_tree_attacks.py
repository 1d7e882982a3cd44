"""What a pull request can put into the tree for Argo CD to apply: one fixture per attack.

Each case plants the attack in a copy of this repository (an owned template of the base
catalog, a chart beside the env, a values file), runs the real `bkgen render default` and
asserts what every hostile case asserts (`assert_refused`): the documented exit code, one
`bkgen:` line naming the rule or the file, no canary in any output or in the tree, and the
previously rendered tree byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.security.test_gate import _template
from tests.security.test_hostile import CANARY, Run, assert_refused, snapshot

_CLUSTER_ADMIN = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}]
"""
_HOST_PID = """apiVersion: v1
kind: Pod
metadata: {name: peek, namespace: blueking}
spec:
  hostPID: true
  containers:
    - name: c
      image: hub.bktencent.com/blueking/peek:1.0.0
      resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {cpu: 1m, memory: 1Mi}}
"""
_WEBHOOK = """apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: inject}
webhooks:
  - name: inject.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig: {url: "https://hook.example.com/mutate"}
    rules: [{apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE], resources: ["*"]}]
"""
_NODE_PORT = """apiVersion: v1
kind: Service
metadata: {name: open-door, namespace: blueking}
spec:
  type: NodePort
  selector: {app: registry-cache}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
"""


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (_CLUSTER_ADMIN, "[rbac-escalation]"),
        (_HOST_PID, "[host-escape]"),
        (_WEBHOOK, "[admission-webhook]"),
        (_NODE_PORT, "[exposed-service]"),
    ],
    ids=["rbac-escalation", "host-escape", "admission-webhook", "exposed-service"],
)
def test_each_security_rule_stops_the_render(project: Path, run: Run, text: str, rule: str) -> None:
    """crd-override and argocd-scope have their own cases in test_gate."""
    before = snapshot(project)
    _template(project, "attack.yaml.j2", text)
    assert_refused(run("render", "default"), 1, rule, before=before, root=project)


PEM = f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{CANARY}\n-----END RSA PRIVATE KEY-----\n"


def test_an_external_secret_never_carries_a_literal(project: Path, run: Run) -> None:
    """A chart's Secret mixes a declared key (it becomes an ExternalSecret) with a literal
    private key: the literal would ride along into git inside the ExternalSecret template."""
    from tests.charts.factory import build_chart

    before = snapshot(project)
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssm-env\nstringData:\n"
        "  DB_PASSWORD: {{ .Values.auth.password | quote }}\n"
        f"  tls.pem: {json.dumps(PEM)}\n"
    )
    build_chart(
        project / "overlays/default/charts",
        "bkssm",
        "1.0.5",
        extra_templates={"env.yaml": secret},
        secret_switch=None,
        accepts=_ssm_values(project),
    )
    (project / "overlays/default/bk-ssm-custom-values.yaml.j2").write_text(
        'auth:\n  password: {secretRef: "bkce7/ssm#db-password"}\n'
    )
    assert_refused(
        run("render", "default"),
        1,
        "Secret ssm-env key 'tls.pem' holds a private key (PEM)",
        before=before,
        root=project,
    )


def _ssm_values(project: Path) -> dict[str, object]:
    from bkgen.overlay.layers import release_values
    from bkgen.overlay.load import load_environment

    env = load_environment(project, "default")
    values = dict(release_values(env, env.catalog.releases["bk-ssm"]).values)
    return {**values, "auth": {"password": ""}}


def test_a_hostile_subdomain_is_refused_at_its_line(project: Path, run: Run) -> None:
    """The issue's case, end to end: `extraSubdomains: ['x$(id>…)']` in custom.yaml. The
    overlay schema types what reaches a step (one DNS label), so it is refused at its line;
    were it let through, it would reach the step only as data (test_step_injection)."""
    custom = project / "overlays/default/custom.yaml"
    custom.write_text(
        custom.read_text().replace("domain:\n", "domain:\n  extraSubdomains: ['x$(id>/tmp/p)']\n")
    )
    before = snapshot(project)
    assert_refused(
        run("render", "default"),
        2,
        "overlays/default/custom.yaml:3",
        "domain.extraSubdomains.0",
        before=before,
        root=project,
    )
