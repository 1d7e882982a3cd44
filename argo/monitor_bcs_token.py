"""Give bk-monitor the BCS API token (config_monitor_bcs_token.sh)."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script

DESCRIPTION = """config_monitor_bcs_token.sh: copy the BCS API gateway token from bcs-system
into the Secret bk-monitor reads (bk-monitor-bcs-token, key token) and verify it is non-empty.
The seeds name the script only: source Secret and key are parameters with the bcs-services-stack
defaults."""

SOURCE_NS = "bcs-system"


def RULES(ctx: StepContext) -> tuple[Rule, ...]:
    source = str(ctx.param("sourceSecret", "bcs-services-stack-bcs-api-gateway-token"))
    return (
        Rule(("secrets",), ("get",), namespace=SOURCE_NS, resource_names=(source,)),
        Rule(("secrets",), ("get", "create", "patch")),
    )


COPY = r"""
token=$(kubectl get secret -n "$P_SOURCE_NAMESPACE" "$P_SOURCE_SECRET" \
        -o jsonpath="{.data.${P_SOURCE_KEY}}" | base64 -d)
[ -n "$token" ] || { echo "empty BCS token" >&2; exit 1; }
kubectl create secret generic -n "$P_NAMESPACE" bk-monitor-bcs-token \
  --from-literal=token="$token" --dry-run=client -o yaml | kubectl apply -f -
test -n "$(kubectl get secret -n "$P_NAMESPACE" bk-monitor-bcs-token -o jsonpath='{.data.token}')"
echo "bk-monitor-bcs-token configured"
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    names = ["sourceNamespace", "sourceSecret", "sourceKey", "namespace"]
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="sourceNamespace", value=SOURCE_NS),
            Parameter(
                name="sourceSecret",
                value=str(ctx.param("sourceSecret", "bcs-services-stack-bcs-api-gateway-token")),
            ),
            Parameter(name="sourceKey", value=str(ctx.param("sourceKey", "token"))),
            Parameter(name="namespace", value=ctx.namespace),
        ],
    ) as template:
        copy = script("copy-token", ctx.image, COPY, params=names)
        with DAG(name="main"):
            copy(arguments=inputs(*names))
    return template
