"""Per-app secrets and the API gateway builtin keypair, generated in-cluster."""

from __future__ import annotations

import re

from hera.workflows import DAG, Parameter, WorkflowTemplate

from bkgen.errors import RenderError
from bkgen.workflows import Rule, StepContext

from ._lib import inputs, script

DESCRIPTION = """generate_app_secret.sh and generate_rsa_keypair.sh, GitOps style: for each app
code ensure Secret bk-app-secret-<code> (key bkAppSecret, 32 random hex chars), for each in-cluster
storage release its credentials Secret (the keys its chart reads through existingSecret, 24 random
alphanumerics each) and the Secret bk-apigateway-builtin-keypair (privateKey/publicKey, RSA 2048)
exist; with the in-cluster RabbitMQ, a user per application that logs in to it (Secret
bk-rabbitmq-user-<user>) and the definitions bk-rabbitmq loads at start (Secret
bk-rabbitmq-definitions: the administrator and each user on its own vhost, as the 7.0 tree's
load definition), which a running broker also imports through its management API. Created
only when absent, never rotated, never written to git; the definitions are rebuilt from those
Secrets on every run."""

RULES = (
    Rule(("secrets",), ("get", "create")),
    # the definitions are re-applied when an application joins; nothing else is patched
    Rule(("secrets",), ("patch",), resource_names=("bk-rabbitmq-definitions",)),
)
# a user or vhost: also part of a Secret name (bk-rabbitmq-user-<user, _ as ->)
_NAME = re.compile(r"[a-z0-9]([a-z0-9_-]*[a-z0-9])?")

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

_RABBITMQ = r"""
# RABBITMQ: "user=vhost ..."; ADMIN: the broker's administrator, whose password is in bk-rabbitmq
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
value_to() {  # secret key file: the value, byte for byte (a trailing newline kept)
  kubectl get secret -n "$NS" "$1" -o "jsonpath={.data.$2}" | base64 -d > "$3"
  [ -s "$3" ] || { echo "Secret $1 has no $2" >&2; exit 1; }
}
for entry in $RABBITMQ; do
  user="${entry%%=*}"; name="bk-rabbitmq-user-${user//_/-}"
  if kubectl get secret -n "$NS" "$name" >/dev/null 2>&1; then
    echo "exists: $name"; continue
  fi
  openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | head -c 24 > "$dir/password"
  kubectl create secret generic -n "$NS" "$name" \
    --from-literal=username="$user" --from-file=password="$dir/password"
  kubectl get secret -n "$NS" "$name" >/dev/null
  echo "created: $name"
done
value_to bk-rabbitmq rabbitmq-password "$dir/admin"
jq -n --arg name "$ADMIN" --rawfile password "$dir/admin" '{
  users: [{name: $name, password: $password, tags: "administrator"}],
  vhosts: [{name: "/"}],
  permissions: [{user: $name, vhost: "/", configure: ".*", write: ".*", read: ".*"}]
}' > "$dir/load_definition.json"
for entry in $RABBITMQ; do
  user="${entry%%=*}"; vhost="${entry#*=}"
  value_to "bk-rabbitmq-user-${user//_/-}" password "$dir/password"
  jq --arg name "$user" --arg vhost "$vhost" --rawfile password "$dir/password" '
    .users += [{name: $name, password: $password, tags: "management"}]
    | .vhosts += [{name: $vhost}]
    | .permissions += [{user: $name, vhost: $vhost, configure: ".*", write: ".*", read: ".*"}]
  ' "$dir/load_definition.json" > "$dir/next.json"
  mv "$dir/next.json" "$dir/load_definition.json"
done
# server-side: no last-applied annotation carrying the passwords
kubectl create secret generic -n "$NS" bk-rabbitmq-definitions \
  --from-file=load_definition.json="$dir/load_definition.json" --dry-run=client -o yaml \
  | kubectl apply --server-side --field-manager=bkgen-app-secrets -f -
echo "applied: bk-rabbitmq-definitions (the administrator and $(echo $RABBITMQ | wc -w) user(s))"
# A running broker imports them at once (definitions import only adds); one not started yet
# (no Service to resolve, nothing listening) loads them at boot.
{ printf 'Authorization: Basic '; { printf '%s:' "$ADMIN"; cat "$dir/admin"; } | base64 | tr -d '\n'
  echo; } > "$dir/header"
status=0
curl -sS -o "$dir/reply" -w '%{http_code}' --connect-timeout 5 -H @"$dir/header" \
  -H 'content-type: application/json' --data-binary @"$dir/load_definition.json" \
  "http://bk-rabbitmq.$NS.svc:15672/api/definitions" > "$dir/code" || status=$?
case "$status" in
  0) code=$(cat "$dir/code")
     if [ "${code:0:1}" != "2" ]; then
       echo "the broker refused the definitions: HTTP $code $(head -c 500 "$dir/reply")" >&2
       exit 1
     fi
     echo "imported into the running broker" ;;
  6|7) echo "no running broker yet: it loads the definitions at start" ;;
  *) echo "could not reach the broker (curl exit $status)" >&2; exit 1 ;;
esac
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
    # The broker's users: only with the in-cluster RabbitMQ, for the releases enabled here.
    broker = dict(ctx.param("rabbitmq", {}))
    listed = {
        str(release): (str(u["user"]), str(u["vhost"]))
        for release, u in sorted(dict(broker.get("users", {})).items())
    }
    secret_of = {user: f"bk-rabbitmq-user-{user.replace('_', '-')}" for user, _ in listed.values()}
    if len(set(secret_of.values())) != len(listed):
        raise RenderError(
            f"workflow step '{ctx.name}': two RabbitMQ users share a Secret name "
            f"(bk-rabbitmq-user-<user>, '_' as '-'): {sorted(u for u, _ in listed.values())}"
        )
    in_cluster = "bk-rabbitmq" in storage
    users = {
        user: vhost
        for release, (user, vhost) in listed.items()
        if in_cluster and release in enabled
    }
    admin = str(broker.get("admin", "user"))
    for name in (admin, *users, *users.values()):
        if not _NAME.fullmatch(name):
            raise RenderError(
                f"workflow step '{ctx.name}': RabbitMQ user or vhost {name!r} is not a name "
                "(lower-case letters, digits, '_' and '-' inside)"
            )
    rabbitmq_arg = " ".join(f"{user}={vhost}" for user, vhost in users.items())
    created += [f"Secret/{secret_of[u]}" for u in users]
    if users:
        created.append("Secret/bk-rabbitmq-definitions")
    with WorkflowTemplate(
        name=ctx.name,
        annotations={"bkgen.io/creates": ",".join(sorted(created))},
        entrypoint="main",
        arguments=[
            Parameter(name="apps", value=apps),
            Parameter(name="storage", value=storage_arg),
            Parameter(name="rabbitmq", value=rabbitmq_arg),
            Parameter(name="rabbitmqAdmin", value=admin),
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
        broker_users = script(
            "rabbitmq-users",
            ctx.image,
            'RABBITMQ="${P_RABBITMQ}"\nADMIN="${P_RABBITMQ_ADMIN}"\nNS="${P_NAMESPACE}"\n'
            + _RABBITMQ,
            params=["rabbitmq", "rabbitmqAdmin", "namespace"],
        )
        with DAG(name="main"):
            app_secrets(arguments=inputs("apps", "namespace"))
            storage = storage_secrets(arguments=inputs("storage", "namespace"))
            keypair(arguments=inputs("namespace"))
            if users:  # after the administrator's password exists
                storage >> broker_users(arguments=inputs("rabbitmq", "rabbitmqAdmin", "namespace"))
    return template
