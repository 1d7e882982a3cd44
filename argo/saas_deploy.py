"""The standard SaaS through PaaS3: bk_itsm, then bk_sops default before api/pipeline/callback."""

from __future__ import annotations

from typing import Any

from hera.workflows import DAG, Parameter, Task, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import script, secret_env

DESCRIPTION = """Runbook "SaaS deployment": for each app, import the S-Mart package
({packageURL}/<code>/<code>-V<version>.tar.gz) into PaaS3 and deploy its modules to prod in
stages: a stage's modules deploy in parallel, stages run in order (bk_sops: default, then api,
pipeline and callback). Each deployment is polled until it succeeds; failure or timeout fails
the step. The PaaS3 API paths are parameters (the seeds describe the console flow)."""

RULES: tuple[Rule, ...] = ()

IMPORT = r"""
code="${P_CODE}"; version="${P_VERSION}"
curl -fsS "${P_PACKAGE_URL}/$code/$code-V$version.tar.gz" -o /tmp/pkg.tgz
bk_call POST "${P_ENDPOINT}/backend/api/bkapps/s-mart/" \
  -H "Authorization: Bearer $PAAS_TOKEN" -F "package=@/tmp/pkg.tgz" >/dev/null
echo "imported $code $version"
"""

DEPLOY = r"""
code="${P_CODE}"; module="${P_MODULE}"
base="${P_ENDPOINT}/backend/api/bkapps/applications/$code/modules/$module/envs/prod"
id=$(bk_call POST "$base/deployments/" -H "Authorization: Bearer $PAAS_TOKEN" \
     -H 'Content-Type: application/json' -d "$(jq -nc --arg v "$P_VERSION" '{version_type: "image", version_name: $v}')" \
     | jq -r '.deployment_id')
[ -n "$id" ] && [ "$id" != null ] || { echo "no deployment id for $code/$module" >&2; exit 1; }
for _ in $(seq 1 120); do
  status=$(bk_call GET "$base/deployments/$id/result/" -H "Authorization: Bearer $PAAS_TOKEN" | jq -r '.status')
  case "$status" in
    successful) echo "deployed $code/$module"; exit 0 ;;
    failed|interrupted) echo "deployment of $code/$module: $status" >&2; exit 1 ;;
  esac
  sleep 10
done
echo "deployment of $code/$module did not finish in 20 minutes" >&2; exit 1
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    apps: list[dict[str, Any]] = list(ctx.param("apps"))
    common = ["endpoint", "packageURL"]
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(name="endpoint", value=f"http://{ctx.svc('bkpaas3-apiserver')}"),
            Parameter(
                name="packageURL",
                value=str(
                    ctx.param("packageURL", f"http://bkrepo.{ctx.bk_domain}/generic/blueking/saas")
                ),
            ),
        ],
    ) as template:
        token = [secret_env("PAAS_TOKEN", "bkpaas3-apiserver-admin-token", "token")]
        importer = script(
            "import", ctx.image, IMPORT, params=["code", "version", *common], env=token
        )
        deployer = script(
            "deploy",
            ctx.image,
            DEPLOY,
            params=["code", "module", "version", *common],
            env=token,
            retries=1,
        )
        shared = {n: f"{{{{workflow.parameters.{n}}}}}" for n in common}
        with DAG(name="main"):
            for app in apps:
                code, version = str(app["code"]), str(app["version"])
                previous: list[Task] = [
                    importer(
                        name=f"import-{code}".replace("_", "-"),
                        arguments={"code": code, "version": version, **shared},
                    )
                ]
                for stage in app["modules"]:
                    current = [
                        deployer(
                            name=f"deploy-{code}-{m}".replace("_", "-"),
                            arguments={"code": code, "module": m, "version": version, **shared},
                        )
                        for m in stage
                    ]
                    for task in current:
                        for before in previous:
                            before >> task
                    previous = current
    return template
