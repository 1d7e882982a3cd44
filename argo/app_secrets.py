"""Per-app secrets and the API gateway builtin keypair, generated in-cluster."""

from __future__ import annotations

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script

DESCRIPTION = """generate_app_secret.sh and generate_rsa_keypair.sh, GitOps style: for each app
code ensure Secret bk-app-secret-<code> (key bkAppSecret, 32 random hex chars), for each in-cluster
storage release its credentials Secret (the keys its chart reads through existingSecret, 24 random
alphanumerics each) and the Secret bk-apigateway-builtin-keypair (privateKey/publicKey, RSA 2048)
exist. Created only when absent, never rotated, never written to git."""

RULES = (Rule(("secrets",), ("get", "create")),)

_APPS = r"""
for code in $(echo "$APPS" | tr ',' ' '); do
  name="bk-app-secret-${code//_/-}"
  if kubectl get secret -n "$NS" "$name" >/dev/null 2>&1; then
    echo "exists: $name"; continue
  fi
  kubectl create secret generic -n "$NS" "$name" \
    --from-literal=bkAppCode="$code" --from-literal=bkAppSecret="$(openssl rand -hex 16)"
  kubectl get secret -n "$NS" "$name" >/dev/null
  echo "created: $name"
done
"""

_STORAGE = r"""
# STORAGE: "secret=key1,key2 secret2=key3"
for entry in $STORAGE; do
  name="${entry%%=*}"; keys="${entry#*=}"
  if kubectl get secret -n "$NS" "$name" >/dev/null 2>&1; then
    echo "exists: $name"; continue
  fi
  args=()
  for key in $(echo "$keys" | tr ',' ' '); do
    args+=("--from-literal=$key=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | head -c 24)")
  done
  kubectl create secret generic -n "$NS" "$name" "${args[@]}"
  kubectl get secret -n "$NS" "$name" >/dev/null
  echo "created: $name"
done
"""

_KEYPAIR = r"""
name=bk-apigateway-builtin-keypair
if kubectl get secret -n "$NS" "$name" >/dev/null 2>&1; then echo "exists: $name"; exit 0; fi
dir=$(mktemp -d)
openssl genrsa -out "$dir/private.pem" 2048
openssl rsa -in "$dir/private.pem" -pubout -out "$dir/public.pem"
kubectl create secret generic -n "$NS" "$name" \
  --from-file=privateKey="$dir/private.pem" --from-file=publicKey="$dir/public.pem"
rm -rf "$dir"
kubectl get secret -n "$NS" "$name" >/dev/null
echo "created: $name"
"""


def build(ctx: StepContext) -> WorkflowTemplate:
    codes = [str(a) for a in ctx.param("apps")]
    apps = ",".join(codes)
    # What this step makes exist, so `references` resolves the Secrets charts read through
    # existingSecret (they are created in-cluster, never rendered).
    enabled = set(ctx.extra.get("releases", ()))
    storage = {
        str(release): [str(k) for k in keys]
        for release, keys in sorted(dict(ctx.param("storage", {})).items())
        if release in enabled
    }
    storage_arg = " ".join(f"{name}={','.join(keys)}" for name, keys in storage.items())
    created = [f"Secret/bk-app-secret-{a.replace('_', '-')}" for a in codes]
    created += [f"Secret/{name}" for name in storage]
    created.append("Secret/bk-apigateway-builtin-keypair")
    with WorkflowTemplate(
        name=ctx.name,
        annotations={"bkgen.io/creates": ",".join(sorted(created))},
        entrypoint="main",
        arguments=[
            Parameter(name="apps", value=apps),
            Parameter(name="storage", value=storage_arg),
            Parameter(name="namespace", value=ctx.namespace),
        ],
    ) as template:
        app_secrets = script(
            "app-secrets",
            ctx.image,
            'APPS="${P_APPS}"\nNS="${P_NAMESPACE}"\n' + _APPS,
            params=["apps", "namespace"],
        )
        storage_secrets = script(
            "storage-secrets",
            ctx.image,
            'STORAGE="${P_STORAGE}"\nNS="${P_NAMESPACE}"\n' + _STORAGE,
            params=["storage", "namespace"],
        )
        keypair = script(
            "apigateway-keypair",
            ctx.image,
            'NS="${P_NAMESPACE}"\n' + _KEYPAIR,
            params=["namespace"],
        )
        with DAG(name="main"):
            app_secrets(arguments=inputs("apps", "namespace"))
            storage_secrets(arguments=inputs("storage", "namespace"))
            keypair(arguments=inputs("namespace"))
    return template
