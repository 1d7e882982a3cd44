"""PaaS3 buildpack runtimes into bkrepo generic repositories."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script, secret_env

DESCRIPTION = """Runbook "PaaS runtimes": read BLOBSTORE_BKREPO_CONFIG from the Secret
bkpaas3-apiserver-bkrepo-envs (ENDPOINT, PROJECT, USERNAME, PASSWORD), fetch the runtime files
listed in the manifest at {sourceURL}/manifest.txt (one "<bucket>/<path>" per line, the layout
bkdl-7.1-stable.sh downloads into paas-runtimes/) and PUT each to
{ENDPOINT}/generic/{PROJECT}/{bucket}/{path}. bkrepo's "file exists" (251012) counts as done."""

RULES: tuple[Rule, ...] = ()

UPLOAD = r"""
eval "$(echo "$BLOBSTORE_BKREPO_CONFIG" | tr ',' '\n' | tr -d ' ' | grep -E '^(ENDPOINT|PROJECT|USERNAME|PASSWORD)=')"
src="${P_SOURCE_URL}"
curl -fsS "$src/manifest.txt" -o /tmp/manifest.txt
count=0
while read -r item; do
  [ -n "$item" ] || continue
  bucket="${item%%/*}"; path="${item#*/}"
  curl -fsS "$src/$item" -o /tmp/file
  status=$(curl -sS -o /tmp/resp -w '%{http_code}' -u "$USERNAME:$PASSWORD" -X PUT \
    -H 'X-BKREPO-OVERWRITE: false' -T /tmp/file "$ENDPOINT/generic/$PROJECT/$bucket/$path")
  if [ "$status" = "200" ] && jq -e '.code == 0' /tmp/resp >/dev/null; then
    echo "uploaded $item"
  elif jq -e '.code == 251012' /tmp/resp >/dev/null 2>&1; then
    echo "exists $item"
  else
    echo "upload of $item failed: HTTP $status $(head -c 500 /tmp/resp)" >&2; exit 1
  fi
  count=$((count + 1))
  sleep 1
done < /tmp/manifest.txt
[ "$count" -gt 0 ] || { echo "manifest at $src lists no files" >&2; exit 1; }
echo "$count runtime files in bkrepo"
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    source = str(
        ctx.param("sourceURL", f"http://bkrepo.{ctx.bk_domain}/generic/blueking/paas-runtimes")
    )
    with WorkflowTemplate(
        name=ctx.name,
        entrypoint="main",
        arguments=[Parameter(name="sourceURL", value=source)],
    ) as template:
        upload = script(
            "upload",
            ctx.image,
            UPLOAD,
            params=["sourceURL"],
            env=[
                secret_env(
                    "BLOBSTORE_BKREPO_CONFIG",
                    "bkpaas3-apiserver-bkrepo-envs",
                    "BLOBSTORE_BKREPO_CONFIG",
                )
            ],
        )
        with DAG(name="main"):
            upload(arguments=inputs("sourceURL"))
    return template
