"""The child-Application health Lua, run in a Lua 5.1 sandbox shaped like Argo CD's.

Each case is a live Application as the root's controller sees it, the status the script
must return, and what gitops-engine's sync context then does with the root's wave
(Healthy: the wave is done; Degraded: the root's operation fails and is retried;
anything else: the wave waits). docs/argocd.md carries the same table.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bkgen.argocd.health import APPLICATION_HEALTH_LUA, CM_KEY
from tests.argocd.lua_sandbox import HealthScript

REPO = "https://git.example.com/blueking/bkce7-gitops.git"
SERVER = "https://kubernetes.default.svc"
PIN = "bkgen/default/bk-job/0123456789abcdef"
OLD_PIN = "bkgen/default/bk-job/fedcba9876543210"
SHA, OLD_SHA = "a" * 40, "b" * 40

# As the root applies it (bkgen's YAML) ...
SPEC: dict[str, Any] = {
    "project": "bkce7-default",
    "source": {
        "repoURL": REPO,
        "targetRevision": PIN,
        "path": "rendered/default/releases/bk-job",
        "directory": {"recurse": False, "exclude": "values.yaml"},
    },
    "destination": {"server": SERVER, "namespace": "blueking"},
    "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
}
# ... and as the controller writes it back: Go's omitempty drops `recurse: false`, and
# the non-pointer `jsonnet` struct is written as {}.
COMPARED: dict[str, Any] = {
    "source": {
        "repoURL": REPO,
        "targetRevision": PIN,
        "path": "rendered/default/releases/bk-job",
        "directory": {"exclude": "values.yaml", "jsonnet": {}},
    },
    "destination": {"server": SERVER, "namespace": "blueking"},
}
HELM_SPEC = {
    "repoURL": "https://hub.bktencent.com/chartrepo/blueking",
    "chart": "bk-job",
    "targetRevision": "0.5.1",
    "helm": {"releaseName": "bk-job", "valuesObject": {"replicaCount": 2, "tls": False}},
}


def app(
    sync: str = "Synced",
    health: str = "Healthy",
    *,
    compared: dict[str, Any] | None = None,
    phase: str | None = "Succeeded",
    result_revision: str = SHA,
    spec: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "sync": {"status": sync, "revision": SHA, "comparedTo": compared or COMPARED},
        "health": {"status": health},
    }
    the_spec = copy.deepcopy(spec or SPEC)
    if phase is not None:
        status["operationState"] = {
            "phase": phase,
            "message": f"sync {phase.lower()}",
            "syncResult": {"revision": result_revision, "source": the_spec.get("source")},
        }
    for key in ("resources", "conditions"):
        if key in extra:
            status[key] = extra.pop(key)
    doc: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "default-bk-job", "namespace": "argocd"},
        "spec": the_spec,
        "status": status,
    }
    doc.update(extra)
    return doc


def _with(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _no_status() -> dict[str, Any]:
    doc = app()
    del doc["status"]
    return doc


def _older_compared(**source: Any) -> dict[str, Any]:
    compared = copy.deepcopy(COMPARED)
    compared["source"].update(source)
    return compared


def _unpaused() -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    del spec["syncPolicy"]["automated"]
    return app("OutOfSync", spec=spec)


def _helm(values: dict[str, Any], compared_values: dict[str, Any]) -> dict[str, Any]:
    spec = {**copy.deepcopy(SPEC), "source": copy.deepcopy(HELM_SPEC)}
    compared_source = copy.deepcopy(HELM_SPEC)
    compared_source["helm"]["valuesObject"] = compared_values
    spec["source"]["helm"]["valuesObject"] = values
    return app(spec=spec, compared={**COMPARED, "source": compared_source})


def _multi(compared_revision: str) -> dict[str, Any]:
    sources = [
        {**SPEC["source"], "targetRevision": PIN},
        {"repoURL": REPO, "targetRevision": "main", "ref": "values"},
    ]
    spec = {**copy.deepcopy(SPEC), "sources": sources}
    del spec["source"]
    old = copy.deepcopy(sources)
    old[0]["targetRevision"] = compared_revision
    doc = app(spec=spec, compared={"sources": old, "destination": COMPARED["destination"]})
    doc["status"]["sync"]["revisions"] = [SHA, SHA]
    doc["status"]["operationState"]["syncResult"] = {"revisions": [SHA, SHA], "sources": sources}
    return doc


WAIT = "waits"
NEXT = "next wave starts"
FAIL = "root sync fails, retried"
PRUNE_ONLY = [
    {"kind": "Namespace", "name": "old", "status": "OutOfSync", "requiresPruning": True},
    {"kind": "Deployment", "name": "job", "status": "Synced", "health": {"status": "Healthy"}},
]
COMPARISON_ERROR = [{"type": "ComparisonError", "message": "unable to resolve 'bkgen/x' to a SHA"}]

# (state, live Application, status, what the root does)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("just created by the root, no status yet", _no_status(), "Progressing", WAIT),
    (
        "first comparison: OutOfSync, Missing",
        app("OutOfSync", "Missing", phase=None),
        "Progressing",
        WAIT,
    ),
    ("first sync Running", app("OutOfSync", "Missing", phase="Running"), "Progressing", WAIT),
    ("Synced, workloads rolling out", app("Synced", "Progressing"), "Progressing", WAIT),
    ("Synced to the current spec, Healthy", app(), "Healthy", NEXT),
    ("Healthy but OutOfSync", app("OutOfSync"), "Progressing", WAIT),
    ("Healthy, OutOfSync, auto-sync paused by hand", _unpaused(), "Progressing", WAIT),
    (
        "Healthy, sync operation requested",
        app(operation={"sync": {"revision": PIN}}),
        "Progressing",
        WAIT,
    ),
    ("Healthy, sync operation Running", app(phase="Running"), "Progressing", WAIT),
    ("Healthy, sync operation Terminating", app(phase="Terminating"), "Progressing", WAIT),
    (
        "Healthy, sync Failed for the current spec",
        app("OutOfSync", phase="Failed"),
        "Degraded",
        FAIL,
    ),
    ("Healthy, sync Error for the current spec", app("OutOfSync", phase="Error"), "Degraded", FAIL),
    (
        "sync Failed for an older revision, new one compared",
        app("OutOfSync", phase="Failed", result_revision=OLD_SHA),
        "Progressing",
        WAIT,
    ),
    (
        "Healthy, sync status Unknown with a ComparisonError",
        app("Unknown", conditions=COMPARISON_ERROR),
        "Degraded",
        FAIL,
    ),
    ("Healthy, sync status Unknown, no condition", app("Unknown"), "Progressing", WAIT),
    (
        "Healthy, Synced, comparedTo an older targetRevision",
        app(compared=_older_compared(targetRevision=OLD_PIN)),
        "Progressing",
        WAIT,
    ),
    (
        "Healthy, Synced, comparedTo older Helm values",
        _helm({"replicaCount": 3, "tls": False}, {"replicaCount": 2}),
        "Progressing",
        WAIT,
    ),
    (
        "Helm values equal up to Go's omitempty",
        _helm({"replicaCount": 2, "tls": False}, {"replicaCount": 2}),
        "Healthy",
        NEXT,
    ),
    ("multi-source, comparedTo older sources", _multi(OLD_PIN), "Progressing", WAIT),
    ("multi-source, Synced to the current sources", _multi(PIN), "Healthy", NEXT),
    (
        "comparedTo destination with fields Argo CD added",
        app(
            compared={**COMPARED, "destination": {**COMPARED["destination"], "name": "in-cluster"}}
        ),
        "Healthy",
        NEXT,
    ),
    (
        "Synced, Degraded (e.g. a step's Workflow failed)",
        app("Synced", "Degraded"),
        "Degraded",
        FAIL,
    ),
    ("Synced, Suspended", app("Synced", "Suspended"), "Suspended", WAIT),
    (
        "OutOfSync only for resources left to a manual prune",
        app("OutOfSync", resources=PRUNE_ONLY),
        "Healthy",
        NEXT,
    ),
    (
        "being deleted",
        _with(app(), ("metadata", "deletionTimestamp"), "2024-01-01T00:00:00Z"),
        "Progressing",
        WAIT,
    ),
]


@pytest.fixture(scope="module")
def health() -> HealthScript:
    return HealthScript(APPLICATION_HEALTH_LUA)


@pytest.mark.parametrize(("state", "obj", "status", "root"), CASES, ids=[c[0] for c in CASES])
def test_health_of_a_child(
    health: HealthScript, state: str, obj: dict[str, Any], status: str, root: str
) -> None:
    got, message = health(obj)
    assert got == status, f"{state}: {got} ({message})"
    assert message, "the root shows this message: it must say why"


def test_the_upgrade_states_of_the_issue_are_not_healthy(health: HealthScript) -> None:
    """Issue #14 point 1: each of these reported Healthy with the old one-line Lua."""
    old = HealthScript(
        'local hs = {} hs.status = "Progressing" if obj.status ~= nil and obj.status.health'
        " ~= nil then hs.status = obj.status.health.status end return hs"
    )
    stale = [
        app("OutOfSync"),
        app(phase="Running"),
        app("OutOfSync", phase="Failed"),
        app("Unknown", conditions=COMPARISON_ERROR),
        app(compared=_older_compared(targetRevision=OLD_PIN)),
    ]
    assert [old(o)[0] for o in stale] == ["Healthy"] * len(stale)
    assert all(health(o)[0] != "Healthy" for o in stale)


def test_message_names_the_failure(health: HealthScript) -> None:
    doc = app("OutOfSync", phase="Failed")
    doc["status"]["operationState"]["message"] = "one or more objects failed to apply"
    assert health(doc) == ("Degraded", "sync Failed: one or more objects failed to apply")
    assert "unable to resolve" in health(app("Unknown", conditions=COMPARISON_ERROR))[1]


def test_sandbox_is_as_strict_as_argo_cd() -> None:
    """Guards the guard: what gopher-lua lacks in Argo CD's sandbox fails here too."""
    for body in ('("x"):upper()', 'string.format("%d", 1)', "math.floor(1.5)", 'io.write("x")'):
        script = HealthScript(f"local hs = {{}} hs.status = {body} return hs")
        with pytest.raises(Exception, match=r"attempt to|nil value"):
            script({})
    assert HealthScript('return {status = "Fine"}')({}) == (
        "Unknown",
        "Lua returned an invalid health status",
    )


def test_a_big_application_is_judged(health: HealthScript) -> None:
    """Its time against Argo CD's one-second Lua budget is bench/health_lua.py's to print."""
    big = _helm({f"k{i}": {"v": i} for i in range(2000)}, {f"k{i}": {"v": i} for i in range(2000)})
    assert health(big)[0] == "Healthy"


def test_the_rendered_configmap_carries_this_script(repo_root: Path) -> None:
    import yaml

    for env in ("default", "prod"):
        cm = yaml.safe_load(
            (repo_root / f"rendered/{env}/argocd/bootstrap/ConfigMap_argocd-cm.yaml").read_text()
        )
        assert cm["data"] == {CM_KEY: APPLICATION_HEALTH_LUA}


def test_docs_table_matches_the_cases(repo_root: Path) -> None:
    docs = (repo_root / "docs/argocd.md").read_text(encoding="utf-8")
    for state, _, status, root in CASES:
        row = f"| {state} | {status} | {root} |"
        assert row in docs, f"docs/argocd.md lacks the row: {row}"
