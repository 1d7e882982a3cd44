"""GSE agent, plugin, proxy and open-source tool packages into node manager."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import script

DESCRIPTION = """setup_bkce7.sh -u agent|plugin|proxy|opentools, one task per kind in parallel:
download the package set from {sourceURL}/<kind>/ (manifest.txt lists the files) and upload it
through the nodeman backend's package upload API ({endpoint}{uploadPath}, a parameter: the seeds
document the script, not the API). Each upload must return result true."""

RULES: tuple[Rule, ...] = ()
KINDS = ("agent", "plugin", "proxy", "opentools")

UPLOAD = r"""
kind="${P_KIND}"; src="${P_SOURCE_URL}/$kind"
curl -fsS "$src/manifest.txt" -o /tmp/manifest.txt
n=0
while read -r file; do
  [ -n "$file" ] || continue
  curl -fsS "$src/$file" -o "/tmp/$(basename "$file")"
  bk_call POST "${P_ENDPOINT}${P_UPLOAD_PATH}" \
    -H "X-Bk-App-Code: bk_nodeman" -F "module=$kind" -F "package_file=@/tmp/$(basename "$file")" >/dev/null
  echo "uploaded $kind/$file"; n=$((n + 1))
done < /tmp/manifest.txt
[ "$n" -gt 0 ] || { echo "no $kind packages listed at $src" >&2; exit 1; }
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    kinds = [str(k) for k in ctx.param("kinds", list(KINDS))]
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[
            Parameter(
                name="sourceURL",
                value=str(
                    ctx.param(
                        "sourceURL", f"http://bkrepo.{ctx.bk_domain}/generic/blueking/bknodeman"
                    )
                ),
            ),
            Parameter(name="endpoint", value=f"http://{ctx.svc('bk-nodeman-backend-api')}"),
            Parameter(name="uploadPath", value="/backend/package/upload/"),
        ],
    ) as template:
        upload = script(
            "upload-kind", ctx.image, UPLOAD, params=["kind", "sourceURL", "endpoint", "uploadPath"]
        )
        with DAG(name="main"):
            for kind in kinds:
                upload(
                    name=f"upload-{kind}",
                    arguments={
                        "kind": kind,
                        "sourceURL": "{{workflow.parameters.sourceURL}}",
                        "endpoint": "{{workflow.parameters.endpoint}}",
                        "uploadPath": "{{workflow.parameters.uploadPath}}",
                    },
                )
    return template
