"""The availability rules seed 001's guide implies (replica spread, rolling update, disruption
budget, claim storage class, probe timing): each fires on a case written for it and stays
quiet on its fix."""

from __future__ import annotations

import pytest

from tests.validate.conftest import Check, rules


def deployment(
    replicas: int = 1,
    pod: str = "",
    spec: str = "",
    probes: str = "readinessProbe: {tcpSocket: {port: 1}}\n          livenessProbe: {tcpSocket: {port: 1}, initialDelaySeconds: 30}",
    kind: str = "Deployment",
) -> str:
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata: {{name: x, namespace: ns}}
spec:
  replicas: {replicas}
{spec}  selector: {{matchLabels: {{app: x}}}}
  template:
    metadata: {{labels: {{app: x, tier: web}}}}
    spec:
{pod}      containers:
        - name: c
          image: hub.bktencent.com/blueking/x:1.0
          resources: {{requests: {{cpu: 1m, memory: 1Mi}}, limits: {{cpu: 1m, memory: 1Mi}}}}
          {probes}
"""


PDB = """---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: x, namespace: %s}
spec:
  maxUnavailable: 1
  selector: %s
"""
ANTI = """      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: x}}}
"""
SPREAD = """      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: x}}}
"""
WITH_PDB = PDB % ("ns", "{matchLabels: {app: x}}")


def _only(check: Check, text: str, rule: str) -> list[str]:
    return [f.message for f in check(text, ignore_missing_schemas=True).findings if f.rule == rule]


@pytest.mark.parametrize(
    ("replicas", "pod", "fires"),
    [(3, "", True), (1, "", False), (3, ANTI, False), (2, SPREAD, False)],
)
def test_replica_spread(check: Check, replicas: int, pod: str, fires: bool) -> None:
    found = check(deployment(replicas, pod) + WITH_PDB)
    assert rules(found).count("replica-spread") == int(fires)
    if fires:
        finding = next(f for f in found.findings if f.rule == "replica-spread")
        assert finding.severity == "warning"
        assert "3 replicas and neither podAntiAffinity" in finding.message


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "fires"),
    [
        (1, "1", True),
        (3, "3", True),
        (4, "100%", True),
        (3, "'50%'", False),  # floor(1.5) = 1 of 3
        (1, "0", False),
        (3, "1", False),
        (2, "'99%'", False),  # floor(1.98) = 1 of 2
    ],
)
def test_rolling_update(check: Check, replicas: int, max_unavailable: str, fires: bool) -> None:
    spec = f"  strategy:\n    type: RollingUpdate\n    rollingUpdate: {{maxSurge: 1, maxUnavailable: {max_unavailable}}}\n"
    found = _only(check, deployment(replicas, ANTI, spec) + WITH_PDB, "rolling-update")
    assert len(found) == int(fires), found
    if fires:
        assert f"of {replicas} replica(s): a rollout can take every replica down" in found[0]


def test_rolling_update_ignores_recreate(check: Check) -> None:
    spec = "  strategy: {type: Recreate}\n"
    assert not _only(check, deployment(1, spec=spec), "rolling-update")


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        (deployment(2, ANTI), True),
        (
            deployment(2, ANTI, kind="StatefulSet").replace(
                "replicas: 2\n", "replicas: 2\n  serviceName: x\n"
            ),
            True,
        ),
        (deployment(2, ANTI) + WITH_PDB, False),
        (deployment(1), False),
        (deployment(2, ANTI) + PDB % ("other", "{matchLabels: {app: x}}"), True),
        (deployment(2, ANTI) + PDB % ("ns", "{matchLabels: {app: y}}"), True),
        (deployment(2, ANTI) + PDB % ("ns", "{matchLabels: {app: x, tier: web}}"), False),
        (
            deployment(2, ANTI)
            + PDB % ("ns", "{matchExpressions: [{key: app, operator: In, values: [x]}]}"),
            False,
        ),
    ],
)
def test_pod_disruption_budget(check: Check, text: str, fires: bool) -> None:
    found = _only(check, text, "pod-disruption-budget")
    assert len(found) == int(fires), found
    if fires:
        assert "2 replicas and no PodDisruptionBudget selects its pods" in found[0]


PVC = """apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ns%s}
spec:
  accessModes: [ReadWriteOnce]
%s  resources: {requests: {storage: 1Gi}}
"""
DEFAULT_SC = """---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {"storageclass.kubernetes.io/is-default-class": "%s"}
provisioner: kubernetes.io/no-provisioner
"""
STS_CLAIM = deployment(1, kind="StatefulSet").replace(
    "replicas: 1\n", "replicas: 1\n  serviceName: x\n"
) + (
    "  volumeClaimTemplates:\n"
    "    - metadata: {name: data}\n"
    "      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
)


@pytest.mark.parametrize(
    ("text", "settings", "fires"),
    [
        (PVC % ("", ""), {}, 1),
        (STS_CLAIM, {}, 1),
        (PVC % ("", "  storageClassName: fast\n"), {}, 0),
        (PVC % ("", '  storageClassName: ""\n'), {}, 0),  # "" asks for no class: static PVs
        (PVC % (', annotations: {"volume.beta.kubernetes.io/storage-class": fast}', ""), {}, 0),
        (PVC % ("", "") + DEFAULT_SC % "true", {}, 0),
        (PVC % ("", "") + DEFAULT_SC % "false", {}, 1),
        (PVC % ("", ""), {"default_storage_class": "standard"}, 0),
        (STS_CLAIM, {"default_storage_class": "standard"}, 0),
    ],
)
def test_pvc_storage_class(check: Check, text: str, settings: dict[str, str], fires: int) -> None:
    report = check(text, ignore_missing_schemas=True, **settings)
    found = [f for f in report.findings if f.rule == "pvc-storage-class"]
    assert len(found) == fires, found
    if fires:
        assert "default StorageClass" in found[0].message
        assert "validation.defaultStorageClass" in found[0].hint


@pytest.mark.parametrize(
    ("readiness", "liveness", "fires"),
    [
        # liveness gives up at 0 + 2*10 + 1 = 21s; readiness starts at 30s
        (", initialDelaySeconds: 30", "", True),
        # readiness needs 3 successes 10s apart: 40s; liveness waits 5 + 4*10 + 1 = 46s
        (
            ", initialDelaySeconds: 20, successThreshold: 3",
            ", initialDelaySeconds: 5, failureThreshold: 5",
            False,
        ),
        (", initialDelaySeconds: 20, successThreshold: 3", ", initialDelaySeconds: 5", True),
        (", initialDelaySeconds: 5", ", initialDelaySeconds: 30", False),
        (", initialDelaySeconds: 10, periodSeconds: 60", "", False),  # 21s > 10s
    ],
)
def test_probe_timing(check: Check, readiness: str, liveness: str, fires: bool) -> None:
    probes = (
        f"readinessProbe: {{tcpSocket: {{port: 1}}{readiness}}}\n"
        f"          livenessProbe: {{tcpSocket: {{port: 1}}{liveness}}}"
    )
    found = _only(check, deployment(probes=probes), "probe-timing")
    assert len(found) == int(fires), (probes, found)
    if fires:
        assert "liveness restarts it after" in found[0]


def test_probe_timing_trusts_a_startup_probe(check: Check) -> None:
    probes = (
        "readinessProbe: {tcpSocket: {port: 1}, initialDelaySeconds: 60}\n"
        "          livenessProbe: {tcpSocket: {port: 1}}\n"
        "          startupProbe: {tcpSocket: {port: 1}, failureThreshold: 30}"
    )
    assert not _only(check, deployment(probes=probes), "probe-timing")
