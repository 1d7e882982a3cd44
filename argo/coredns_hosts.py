"""CoreDNS host entries for every BlueKing domain, pointing at ingress-nginx."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.errors import RenderError
from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script

DESCRIPTION = """control_coredns.sh update "$IP1" <domains>: read the ClusterIP of the
ingress-nginx Service (label app.kubernetes.io/instance=ingress-nginx) and keep a hosts block
for the BlueKing domains in the kube-system/coredns Corefile. Idempotent: the block between the
bkgen markers is replaced, CoreDNS is restarted only when the Corefile changed."""


def RULES(ctx: StepContext) -> tuple[Rule, ...]:
    ingress_ns = str(ctx.param("ingressNamespace", "ingress-nginx"))
    return (
        Rule(("services",), ("list",), namespace=ingress_ns),
        Rule(
            ("configmaps",), ("get", "update"), namespace="kube-system", resource_names=("coredns",)
        ),
        Rule(
            ("deployments",),
            ("get", "patch"),
            ("apps",),
            namespace="kube-system",
            resource_names=("coredns",),
        ),
    )


UPDATE = r"""
IP=$(kubectl get svc -n "$INGRESS_NS" -l app.kubernetes.io/instance=ingress-nginx \
     -o jsonpath='{.items[0].spec.clusterIP}')
[ -n "$IP" ] || { echo "no ingress-nginx Service in $INGRESS_NS" >&2; exit 1; }
kubectl get configmap -n kube-system coredns -o json > /tmp/cm.json
jq -r '.data.Corefile' /tmp/cm.json > /tmp/Corefile
awk '/# bkgen-hosts-begin/{skip=1} !skip{print} /# bkgen-hosts-end/{skip=0}' /tmp/Corefile > /tmp/clean
{
  echo "    # bkgen-hosts-begin"
  echo "    hosts {"
  for d in $(echo "$DOMAINS" | tr ',' ' '); do echo "        $IP $d"; done
  echo "        fallthrough"
  echo "    }"
  echo "    # bkgen-hosts-end"
} > /tmp/block
# insert the block right after the first server block opening ".:53 {"
awk 'BEGIN{done=0} {print} !done && /^\.:53 *\{/ {while ((getline l < "/tmp/block") > 0) print l; done=1}' \
  /tmp/clean > /tmp/Corefile.new
grep -q 'bkgen-hosts-begin' /tmp/Corefile.new || { echo "no .:53 server block in Corefile" >&2; exit 1; }
if cmp -s /tmp/Corefile /tmp/Corefile.new; then echo "CoreDNS hosts already up to date ($IP)"; exit 0; fi
jq --rawfile c /tmp/Corefile.new '.data.Corefile = $c' /tmp/cm.json | kubectl replace -f -
kubectl -n kube-system rollout restart deployment/coredns
kubectl -n kube-system rollout status deployment/coredns --timeout=300s
echo "CoreDNS hosts -> $IP for: $DOMAINS"
"""


def domains(ctx: StepContext) -> list[str]:
    """The env's BlueKing host names, from the catalog (the same list as `bkgen hosts`)."""
    names = ctx.extra.get("domains")
    if not names:
        raise RenderError(f"workflow step '{ctx.name}' needs the environment's domains")
    return [str(n) for n in names]


def build(ctx: StepContext) -> WorkflowTemplate:
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="domains", value=",".join(domains(ctx))),
            Parameter(
                name="ingressNamespace", value=str(ctx.param("ingressNamespace", "ingress-nginx"))
            ),
        ],
    ) as template:
        update = script(
            "update",
            str(ctx.value("workflows.image")),
            'DOMAINS="${P_DOMAINS}"\nINGRESS_NS="${P_INGRESS_NAMESPACE}"\n' + UPDATE,
            params=["domains", "ingressNamespace"],
        )
        with DAG(name="main"):
            update(arguments=inputs("domains", "ingressNamespace"))
    return template
