"""Shared pieces of the step modules: the shell prelude and response checks.

Parameters reach a script as environment variables (`param_env`: `ingressNamespace` is
`$P_INGRESS_NAMESPACE`), never spliced into its text: Argo substitutes `{{...}}` before
bash parses the script, so a value such as `x$(id)` from custom.yaml would run as code.
`bkgen.workflows.compile` refuses a step whose script text still holds a `{{...}}`.

Every HTTP call goes through `bk_call`, which fails the step unless the HTTP
status is 2xx *and* the BlueKing envelope says so (`result: true` or `code: 0`);
no step may report success on an unchecked response.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hera.workflows import Container, Parameter, RetryStrategy, models

PRELUDE = r"""set -euo pipefail
# bk_call METHOD URL [curl args...]: print the body; fail unless 2xx and the BlueKing
# envelope reports success (result == true, or code == 0, or no envelope at all).
bk_call() {
  local method=$1 url=$2; shift 2
  local body status
  body=$(mktemp)
  status=$(curl -sS -o "$body" -w '%{http_code}' -X "$method" "$url" "$@") || {
    echo "request failed: $method $url" >&2; return 1; }
  if [ "${status:0:1}" != "2" ]; then
    echo "HTTP $status from $method $url: $(head -c 2000 "$body")" >&2; return 1
  fi
  if ! jq -e 'if type == "object" and has("result") then .result == true
              elif type == "object" and has("code") then (.code == 0 or .code == "0" or .code == "00")
              else true end' "$body" >/dev/null 2>&1; then
    echo "BlueKing API error from $method $url: $(head -c 2000 "$body")" >&2; return 1
  fi
  cat "$body"
}
"""


def param_var(name: str) -> str:
    """The environment variable a parameter arrives in: `sourceURL` -> `P_SOURCE_URL`."""
    return "P_" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).upper()


def param_env(params: Sequence[str]) -> list[models.EnvVar]:
    """Each input parameter as an environment variable: Argo substitutes the value into
    the pod spec's env, which no shell parses."""
    return [
        models.EnvVar(name=param_var(p), value=f"{{{{inputs.parameters.{p}}}}}") for p in params
    ]


def script(
    name: str,
    image: str,
    source: str,
    params: list[str] | None = None,
    env: list[models.EnvVar] | None = None,
    retries: int = 3,
) -> Container:
    """A bash template: prelude + `source`, inputs as parameters (read as `$P_<NAME>`),
    bounded retries."""
    return Container(
        name=name,
        image=image,
        command=["bash", "-c"],
        args=[PRELUDE + source],
        inputs=[Parameter(name=p) for p in (params or [])],
        env=[*param_env(params or []), *(env or [])] or None,
        retry_strategy=RetryStrategy(
            limit=str(retries),
            retry_policy="OnFailure",
            backoff=models.Backoff(duration="10s", factor="2", max_duration="5m"),
        ),
        resources=models.ResourceRequirements(
            requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "256Mi"}
        ),
    )


def secret_env(name: str, secret: str, key: str) -> models.EnvVar:
    return models.EnvVar(
        name=name,
        value_from=models.EnvVarSource(
            secret_key_ref=models.SecretKeySelector(name=secret, key=key)
        ),
    )


def inputs(*names: str) -> dict[str, str]:
    """Pass workflow parameters of the same names to a task."""
    return {n: f"{{{{workflow.parameters.{n}}}}}" for n in names}
