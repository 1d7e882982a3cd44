"""Point 2 of the review diff: what happens to data, said at the top, on the shipped
environments in a real git repo."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_envs
from tests.gitops.conftest import edit, git


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _top(out: str) -> list[str]:
    """The lines a reviewer reads first: the plan line and the warnings under it."""
    lines = out.splitlines()
    return lines[: lines.index(next(x for x in lines if "APPLICATION" in x))]


def test_renamed_claim_is_a_new_empty_volume_and_the_old_one_stays(shipped: Path) -> None:
    edit(
        shipped / "overlays/base/templates/registry-cache/registry.yaml.j2",
        "{{ name }}-data",
        "{{ name }}-store",
        count=2,
    )
    render_envs(shipped, ["default"])
    git(shipped, "add", "-A")
    git(shipped, "commit", "-qm", "rename the registry cache's claim")
    code, out = run("diff", "default", "--root", str(shipped), "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1, out
    assert (
        "  !! left behind in the cluster: PersistentVolumeClaim bk-registry-cache/"
        "bk-registry-cache-data renamed to bk-registry-cache-store is not a rename: the cluster "
        "gets a new, empty PersistentVolumeClaim bk-registry-cache-store and the old one stays "
        "(Delete=false,Prune=false); move its data, then clean up by hand: "
        "kubectl delete pvc -n bk-registry-cache bk-registry-cache-data"
    ) in _top(out)
    assert (
        "  > PersistentVolumeClaim bk-registry-cache/bk-registry-cache-store (renamed from "
        "PersistentVolumeClaim bk-registry-cache/bk-registry-cache-data) — not a rename: a new, "
        "empty PersistentVolumeClaim; the old one stays (see warnings)"
    ) in out.splitlines()


def test_claim_size_removed_volume_and_disabled_argocd_release(shipped: Path) -> None:
    custom = shipped / "overlays/default/custom.yaml"
    custom.write_text(
        custom.read_text()
        + "bitnamiEtcd: {enabled: false}\nregistryCache: {storage: 200Gi}\nlocalpv: {count: 19}\n"
    )
    render_envs(shipped, ["default"])
    code, out = run("diff", "default", "--root", str(shipped))
    assert code == 1, out
    assert _top(out)[1:] == [
        "== default: 5 application(s) will sync: 0 to add, 7 to change (1 renamed), 3 to remove",
        "  !! will fail to sync: PersistentVolumeClaim bk-registry-cache/bk-registry-cache-data: "
        "size 100Gi -> 200Gi; the sync fails unless its StorageClass allows volume expansion "
        "(local volumes do not)",
        "  !! data at risk: release bk-etcd removed (chart etcd 8.5.11, namespace blueking): "
        "Argo CD renders it, so none of its objects is in this diff, and deleting the "
        "Application cascade-deletes every one of them (resources-finalizer), volumes' claims "
        "included",
        "  !! left behind in the cluster: PersistentVolume local-pv-vol20 removed from the tree: "
        "Argo CD leaves it (Delete=false,Prune=false); delete it by hand once its data is not "
        "needed: kubectl delete pv local-pv-vol20",
    ]
    data = json.loads(run("diff", "default", "--root", str(shipped), "-o", "json")[1])
    risks = data["environments"][0]["risks"]
    assert [r["severity"] for r in risks] == [
        "will fail to sync",
        "data at risk",
        "left behind in the cluster",
    ]
    md = run("diff", "default", "--root", str(shipped), "-o", "markdown")[1]
    assert md.index("- **will fail to sync**: PersistentVolumeClaim") < md.index("| Application |")


def test_statefulset_claim_templates_will_fail_to_sync(shipped: Path) -> None:
    sts = shipped / "overlays/bcs-demo/templatesets/web-nginx/manifests/statefulset-rumpetroll.yaml"
    edit(
        sts,
        "  replicas: {{ROOM_NUM}}\n",
        "  replicas: {{ROOM_NUM}}\n  volumeClaimTemplates:\n    - metadata: {name: rooms}\n"
        "      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
    )
    render_envs(shipped, ["bcs-demo"])
    code, out = run("diff", "bcs-demo", "--root", str(shipped))
    assert code == 1, out
    top = _top(out)
    for ns in ("dev", "preprod", "prod"):
        assert (
            f"  !! will fail to sync: StatefulSet.apps {ns}/rumpetroll: spec.volumeClaimTemplates "
            "changed; the field is immutable, the sync fails (delete the StatefulSet with "
            "--cascade=orphan, then sync; its claims stay)"
        ) in top


def test_renamed_or_removed_statefulset_puts_data_at_risk(shipped: Path) -> None:
    sts = shipped / "overlays/bcs-demo/templatesets/web-nginx/manifests/statefulset-rumpetroll.yaml"
    edit(
        sts,
        "  replicas: {{ROOM_NUM}}\n",
        "  replicas: {{ROOM_NUM}}\n  volumeClaimTemplates:\n    - metadata: {name: rooms}\n"
        "      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
    )
    render_envs(shipped, ["bcs-demo"])
    git(shipped, "add", "-A")
    git(shipped, "commit", "-qm", "rooms keep their state")
    edit(
        sts,
        "kind: StatefulSet\nmetadata:\n  name: rumpetroll\n",
        "kind: StatefulSet\nmetadata:\n  name: rumpetroll-v2\n",
    )
    render_envs(shipped, ["bcs-demo"])
    code, out = run("diff", "bcs-demo", "--root", str(shipped))
    assert code == 1, out
    assert (
        "  !! data at risk: StatefulSet.apps dev/rumpetroll renamed to rumpetroll-v2: the new "
        "StatefulSet creates new, empty claims (<template>-rumpetroll-v2-N); the old pods stop "
        "and their claims stay in the cluster; move the data, then delete the old claims by hand"
    ) in _top(out)
    assert "will fail to sync" not in out  # a new object: nothing immutable changes in place
    sts.unlink()
    render_envs(shipped, ["bcs-demo"])
    code, out = run("diff", "bcs-demo", "--root", str(shipped))
    assert code == 1, out
    assert (
        "  !! data at risk: StatefulSet.apps prod/rumpetroll removed: Argo CD deletes it and its "
        "pods (its claims stay in the cluster)"
    ) in _top(out)


def test_a_malformed_ignore_list_is_one_line(shipped: Path) -> None:
    env_yaml = shipped / "overlays/prod/env.yaml"
    env_yaml.write_text(env_yaml.read_text() + "diff: [oops\n")
    git(shipped, "commit", "-qam", "broken env.yaml")
    code, out = run("diff", "prod", "--root", str(shipped), "--base", "HEAD", "--head", "HEAD")
    assert code == 2, out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    assert ":overlays/prod/env.yaml:" in out


def test_claim_storage_class_change_will_fail_to_sync(shipped: Path) -> None:
    edit(
        shipped / "overlays/base/templates/registry-cache/registry.yaml.j2",
        "  storageClassName: local-storage\n",
        "  storageClassName: ceph-rbd\n",
    )
    render_envs(shipped, ["prod"])
    code, out = run("diff", "prod", "--root", str(shipped), "-o", "markdown")
    assert code == 1, out
    assert (
        "- **will fail to sync**: PersistentVolumeClaim bk-registry-cache/bk-registry-cache-data: "
        "spec.storageClassName changed; a claim's spec is immutable\n"
    ) in out
    assert out.index("- **prod**: 1 application(s)") < out.index("- **will fail to sync**")


def test_claim_sizes_compare_as_kubernetes_reads_them() -> None:
    """One quantity grammar (`kube.quantity`): a shrink is seen across units, an odd text
    is no size (the change is then reported as a resize, never as a shrink)."""
    from bkgen.diff.data_risk import _bytes

    assert _bytes("1Gi") > _bytes("1000Mi") > _bytes("1G")  # type: ignore[operator]
    assert _bytes("1e3") == _bytes("1k") == 1000
    assert _bytes("ten") is None and _bytes(None) is None
