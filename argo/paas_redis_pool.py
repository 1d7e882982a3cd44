"""Register the shared Redis as PaaS3 `0shared` pre-created instances."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script, secret_env

DESCRIPTION = """Runbook "SaaS deployment" §3.1: add {count} recyclable instances to the Redis
plan 0shared with {"host","port","password"} built from values.redis and the bk-redis Secret
(key redis-password). The console page is /backend/admin42/platform/pre-created-instances/manage;
the admin API path is a parameter. Instances already registered are counted, not duplicated."""

RULES: tuple[Rule, ...] = ()

REGISTER = r"""
base="${P_ENDPOINT}${P_API_PATH}"
cred=$(jq -nc --arg h "${P_HOST}" --argjson p "$P_PORT" \
  --arg pw "$REDIS_PASSWORD" '{host: $h, port: $p, password: $pw}')
have=$(bk_call GET "$base?plan=${P_PLAN}" -H "Authorization: Bearer $PAAS_TOKEN" \
       | jq --arg h "$P_HOST" '[.results[]? | select(.credentials.host == $h)] | length')
want="$P_COUNT"
case "$want" in ''|*[!0-9]*) echo "count must be a number: $want" >&2; exit 1;; esac
while [ "$have" -lt "$want" ]; do
  bk_call POST "$base" -H "Authorization: Bearer $PAAS_TOKEN" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg plan "${P_PLAN}" --argjson c "$cred" \
          '{plan: $plan, credentials: $c, config: {recyclable: true}}')" >/dev/null
  have=$((have + 1))
done
echo "${P_PLAN}: $have instances of ${P_HOST}"
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    names = ["endpoint", "apiPath", "plan", "host", "port", "count"]
    host = f"{ctx.value('redis.host')}.{ctx.value('namespace')}.svc.cluster.local"
    secret = ctx.value("secrets.redis")
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="endpoint", value=f"http://{ctx.svc('bkpaas3-apiserver')}"),
            Parameter(
                name="apiPath", value="/backend/api/admin42/platform/pre-created-instances/redis/"
            ),
            Parameter(name="plan", value="0shared"),
            Parameter(name="host", value=host),
            Parameter(name="port", value=str(ctx.value("redis.port"))),
            Parameter(name="count", value=str(ctx.param("count", 5))),
        ],
    ) as template:
        env = [
            secret_env("REDIS_PASSWORD", str(secret["name"]), str(secret["key"])),
            secret_env("PAAS_TOKEN", "bkpaas3-apiserver-admin-token", "token"),
        ]
        register = script("register", ctx.image, REGISTER, params=names, env=env)
        with DAG(name="main"):
            register(arguments=inputs(*names))
    return template
