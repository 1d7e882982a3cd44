"""The standard-ops common template (id 10001) BCS creates clusters with."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script, secret_env

DESCRIPTION = """Runbook BCS §6: import the standard-ops (bk_sops) common template whose id
must be 10001, otherwise cluster creation fails with "CommonTemplate(id=10001) does not exist".
Downloads the DAT file from {templateURL}, imports it through bk_sops' import_common_template API
on the API gateway (override on id conflict, like the console's "覆盖冲突项并提交"), then reads
template 10001 back and fails unless it exists."""

RULES: tuple[Rule, ...] = ()

IMPORT = r"""
curl -fsS "${P_TEMPLATE_URL}" -o /tmp/template.dat
auth=$(jq -nc --arg c "$BK_APP_CODE" --arg s "$BK_APP_SECRET" '{bk_app_code: $c, bk_app_secret: $s, bk_username: "admin"}')
payload=$(jq -nc --rawfile d /tmp/template.dat '{template_data: $d, override: true}')
bk_call POST "${P_GATEWAY}/api/bk-sops/prod/import_common_template/" \
  -H "X-Bkapi-Authorization: $auth" -H 'Content-Type: application/json' -d "$payload" >/dev/null
bk_call GET "${P_GATEWAY}/api/bk-sops/prod/get_common_template_info/?template_id=${P_TEMPLATE_ID}" \
  -H "X-Bkapi-Authorization: $auth" | jq -e --arg id "$P_TEMPLATE_ID" '.data.id == ($id | tonumber)' >/dev/null
echo "common template ${P_TEMPLATE_ID} present"
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    names = ["templateURL", "templateId", "gateway"]
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(
                name="templateURL",
                value=str(
                    ctx.param(
                        "templateURL",
                        f"http://bkrepo.{ctx.bk_domain}/generic/blueking/bcs/bcs-common-template.dat",
                    )
                ),
            ),
            Parameter(name="templateId", value=str(ctx.param("templateId"))),
            Parameter(name="gateway", value=f"{ctx.scheme}://bkapi.{ctx.bk_domain}"),
        ],
    ) as template:
        env = [
            secret_env("BK_APP_CODE", "bk-app-secret-bk-bcs", "bkAppCode"),
            secret_env("BK_APP_SECRET", "bk-app-secret-bk-bcs", "bkAppSecret"),
        ]
        step = script("import", ctx.image, IMPORT, params=names, env=env)
        with DAG(name="main"):
            step(arguments=inputs(*names))
    return template
