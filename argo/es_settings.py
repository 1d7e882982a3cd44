"""Elasticsearch `action.auto_create_index` before the log suite."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script, secret_env

DESCRIPTION = """Runbook 04-bklog: PUT _cluster/settings
{"persistent":{"action":{"auto_create_index":"-write_*,*"}}} on bk-elastic as user elastic,
then read the setting back and fail unless it is in effect."""

RULES: tuple[Rule, ...] = ()

SETTINGS = '{"persistent":{"action":{"auto_create_index":"-write_*,*"}}}'

PUT = r"""
ES="${P_ENDPOINT}"
out=$(bk_call PUT "$ES/_cluster/settings" -u "elastic:$ES_PASSWORD" \
      -H 'Content-Type: application/json' -d "${P_SETTINGS}")
echo "$out" | jq -e '.acknowledged == true' >/dev/null || { echo "not acknowledged: $out" >&2; exit 1; }
bk_call GET "$ES/_cluster/settings" -u "elastic:$ES_PASSWORD" \
  | jq -e '.persistent.action.auto_create_index == "-write_*,*"' >/dev/null
echo "auto_create_index = -write_*,*"
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    host = str(ctx.value("elasticsearch.host"))
    port = int(ctx.value("elasticsearch.port"))
    secret = ctx.value("secrets.elastic")
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="endpoint", value=f"http://{ctx.svc(host)}:{port}"),
            Parameter(name="settings", value=SETTINGS),
        ],
    ) as template:
        put = script(
            "put-settings",
            ctx.image,
            PUT,
            params=["endpoint", "settings"],
            env=[secret_env("ES_PASSWORD", str(secret["name"]), str(secret["key"]))],
        )
        with DAG(name="main"):
            put(arguments=inputs("endpoint", "settings"))
    return template
