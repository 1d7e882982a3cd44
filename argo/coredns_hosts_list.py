"""`control_coredns.sh list`: print the BlueKing hosts block CoreDNS serves (read-only)."""

from __future__ import annotations

from hera.workflows import DAG, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import script

DESCRIPTION = """control_coredns.sh list: print the hosts entries bkgen maintains in the
kube-system/coredns Corefile. Read-only; not wired into the sync order, run it with
`bkgen workflows submit coredns-hosts-list`."""

RULES = (Rule(("configmaps",), ("get",), namespace="kube-system", resource_names=("coredns",)),)

LIST = r"""
kubectl get configmap -n kube-system coredns -o jsonpath='{.data.Corefile}' > /tmp/Corefile
awk '/# bkgen-hosts-begin/{on=1} on{print} /# bkgen-hosts-end/{on=0}' /tmp/Corefile | tee /tmp/block
[ -s /tmp/block ] || { echo "no bkgen hosts block in the Corefile" >&2; exit 1; }
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    with WorkflowTemplate(name=ctx.name, entrypoint="main") as template:
        show = script("list", ctx.image, LIST, retries=1)
        with DAG(name="main"):
            show()
    return template
