"""Desktop apps for the admin user, and the defaults for every user."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script

DESCRIPTION = """add_user_desktop_app.sh -u admin -a <apps> and set_desktop_default_app.sh -a
<apps>, through bk-console. The seeds document the scripts, not the console's HTTP API: the
endpoint paths and payloads are parameters (defaults: POST {endpoint}/console/api/desktop/
user_app/ with {"username", "app_codes"} and .../default_app/ with {"app_codes"}); each call must
return result true."""

RULES: tuple[Rule, ...] = ()

ADD = r"""
apps_json=$(echo "${P_APPS}" | jq -Rc 'split(",")')
bk_call POST "${P_ENDPOINT}${P_USER_APP_PATH}" \
  -H 'Content-Type: application/json' -H "X-Bk-App-Code: bk_console" \
  -d "$(jq -nc --arg u "${P_USER}" --argjson a "$apps_json" '{username: $u, app_codes: $a}')" >/dev/null
echo "added for ${P_USER}: ${P_APPS}"
if [ "${P_SET_DEFAULT}" = "true" ]; then
  bk_call POST "${P_ENDPOINT}${P_DEFAULT_APP_PATH}" \
    -H 'Content-Type: application/json' -H "X-Bk-App-Code: bk_console" \
    -d "$(jq -nc --argjson a "$apps_json" '{app_codes: $a}')" >/dev/null
  echo "default apps: ${P_APPS}"
fi
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    names = ["apps", "user", "setDefault", "endpoint", "userAppPath", "defaultAppPath"]
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="apps", value=",".join(ctx.param("apps"))),
            Parameter(name="user", value=str(ctx.param("user", "admin"))),
            Parameter(name="setDefault", value="true" if ctx.param("default", False) else "false"),
            Parameter(name="endpoint", value=f"http://{ctx.svc('bk-console')}"),
            Parameter(name="userAppPath", value="/console/api/desktop/user_app/"),
            Parameter(name="defaultAppPath", value="/console/api/desktop/default_app/"),
        ],
    ) as template:
        add = script("add-apps", ctx.image, ADD, params=names)
        with DAG(name="main"):
            add(arguments=inputs(*names))
    return template
