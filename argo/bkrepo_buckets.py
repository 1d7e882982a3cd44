"""bkrepo generic repositories ("buckets") for nodeman, monitor and log."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script, secret_env

DESCRIPTION = """helmfile presync add_bkrepo_bucket.sh: create each bucket as a generic
repository of the blueking project in bkrepo. The seeds document the script, not its HTTP call:
endpoint and payload are parameters, defaulting to bkrepo's repository API
(POST /repository/api/repo/create); an existing repository is accepted, anything else fails."""

RULES: tuple[Rule, ...] = ()

CREATE = r"""
for bucket in $(echo "${P_BUCKETS}" | tr ',' ' '); do
  payload=$(jq -nc --arg p "${P_PROJECT}" --arg n "$bucket" \
    '{projectId: $p, name: $n, type: "GENERIC", category: "LOCAL", public: false}')
  if bk_call GET "${P_ENDPOINT}/repository/api/repo/info/${P_PROJECT}/$bucket" \
       -u "$BKREPO_USER:$BKREPO_PASSWORD" >/dev/null 2>&1; then
    echo "exists: $bucket"; continue
  fi
  bk_call POST "${P_ENDPOINT}/repository/api/repo/create" \
    -u "$BKREPO_USER:$BKREPO_PASSWORD" -H 'Content-Type: application/json' -d "$payload" >/dev/null
  echo "created: $bucket"
done
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="buckets", value=",".join(ctx.param("buckets"))),
            Parameter(name="project", value=str(ctx.param("project", "blueking"))),
            Parameter(name="endpoint", value=f"http://{ctx.svc('bk-repo-bkrepo-gateway')}"),
        ],
    ) as template:
        secret = str(ctx.param("credentialsSecret", "bk-repo-bkrepo-admin"))
        create = script(
            "create-buckets",
            ctx.image,
            CREATE,
            params=["buckets", "project", "endpoint"],
            env=[
                secret_env("BKREPO_USER", secret, "username"),
                secret_env("BKREPO_PASSWORD", secret, "password"),
            ],
        )
        with DAG(name="main"):
            create(arguments=inputs("buckets", "project", "endpoint"))
    return template
