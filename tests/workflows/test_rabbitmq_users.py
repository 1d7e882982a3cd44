"""The app-secrets step's RabbitMQ users, run under bash as default renders them: a Secret per
user, the definitions bk-rabbitmq loads (the administrator included) built from them, and a
second run that changes nothing. kubectl is a stand-in keeping Secrets in a folder (no cluster
runs here); openssl, base64, jq and the rest are the real tools (the step image has them)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    shutil.which("jq") is None, reason="jq (which the step image has) is not on this machine"
)

# A kubectl that knows Secrets: `get secret -n NS NAME [-o jsonpath={.data.KEY}]`,
# `create secret generic -n NS NAME --from-literal=K=V --from-file=K=PATH
# [--dry-run=client -o yaml]` and `apply -f -`, stored as JSON files in $KUBE_STATE.
FAKE_KUBECTL = """\
import base64, json, os, sys
from pathlib import Path
import yaml
state = Path(os.environ["KUBE_STATE"])
args = sys.argv[1:]
def path(ns, name): return state / f"{ns}.{name}.json"
def opt(flag):
    return args[args.index(flag) + 1] if flag in args else None
if args[:2] == ["get", "secret"]:
    ns, name = opt("-n"), args[2] if args[2] != "-n" else args[4]
    file = path(ns, name)
    if not file.exists():
        sys.exit(1)
    output = opt("-o")
    if output and output.startswith("jsonpath={.data."):
        key = output[len("jsonpath={.data."):-1]
        print(json.loads(file.read_text())["data"].get(key, ""), end="")
    sys.exit(0)
if args[:3] == ["create", "secret", "generic"]:
    ns, name = opt("-n"), args[3] if args[3] != "-n" else args[5]
    data = {}
    for arg in args:
        if arg.startswith("--from-literal="):
            key, _, value = arg[len("--from-literal="):].partition("=")
            data[key] = base64.b64encode(value.encode()).decode()
        elif arg.startswith("--from-file="):
            key, _, file = arg[len("--from-file="):].partition("=")
            data[key] = base64.b64encode(Path(file).read_bytes()).decode()
    body = {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": ns}, "data": data}
    if "--dry-run=client" in args:
        print(yaml.safe_dump(body))
        sys.exit(0)
    if path(ns, name).exists():
        sys.exit("AlreadyExists")
    path(ns, name).write_text(json.dumps(body))
    sys.exit(0)
if args[0] == "apply":
    assert "--server-side" in args, args  # no last-applied annotation with the passwords
    body = yaml.safe_load(sys.stdin)
    meta = body["metadata"]
    path(meta["namespace"], meta["name"]).write_text(json.dumps(body))
    print(f"secret/{meta['name']} configured")
    sys.exit(0)
sys.exit(f"fake kubectl: {args}")
"""


# A curl that records what it was asked to send, answering as $CURL_ANSWER says: an exit
# code (6: no such host) or an HTTP status.
FAKE_CURL = """\
import os, sys
from pathlib import Path
args = sys.argv[1:]
answer = os.environ.get("CURL_ANSWER", "exit:6")
log = Path(os.environ["KUBE_STATE"]).parent / "curl"
log.mkdir(exist_ok=True)
def value(flag, nth=0):
    return [args[i + 1] for i, a in enumerate(args) if a == flag][nth]
(log / "url").write_text(args[-1])
(log / "header").write_text(Path(value("-H")[1:]).read_text())
(log / "body").write_text(Path(value("--data-binary")[1:]).read_text())
kind, _, number = answer.partition(":")
if kind == "exit":
    sys.exit(int(number))
Path(value("-o")).write_text("reply")
print(number, end="")
"""


def step() -> tuple[str, dict[str, str]]:
    """default's rendered rabbitmq-users script and the parameters the Workflow passes it."""
    folder = REPO / "rendered/default/workflows/app-secrets"
    (file,) = folder.glob("WorkflowTemplate_*.yaml")
    template = yaml.safe_load(file.read_text())
    (task,) = [t for t in template["spec"]["templates"] if t["name"] == "rabbitmq-users"]
    params = {p["name"]: p["value"] for p in template["spec"]["arguments"]["parameters"]}
    return task["container"]["args"][0], params


def secret(state: Path, name: str) -> dict[str, str]:
    body = json.loads((state / f"blueking.{name}.json").read_text())
    return {k: base64.b64decode(v).decode() for k, v in body["data"].items()}


def run(tmp_path: Path, answer: str = "exit:6") -> tuple[subprocess.CompletedProcess[str], Path]:
    script, params = step()
    state, bin_dir = tmp_path / "state", tmp_path / "bin"
    state.mkdir(exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(f"#!{sys.executable}\n{FAKE_KUBECTL}")
    kubectl.chmod(0o755)
    curl = bin_dir / "curl"
    curl.write_text(f"#!{sys.executable}\n{FAKE_CURL}")
    curl.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "KUBE_STATE": str(state),
        "P_RABBITMQ": params["rabbitmq"],
        "P_RABBITMQ_ADMIN": params["rabbitmqAdmin"],
        "P_NAMESPACE": params["namespace"],
        "CURL_ANSWER": answer,
    }
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return done, state


def test_a_user_per_application_and_the_definitions_built_from_them(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    # the administrator's Secret, which an operator may have made: a quote, a backslash, a
    # tab and a trailing newline in it, all kept (the definitions are JSON)
    admin = {"rabbitmq-password": base64.b64encode(b'adm"in\\p\tw\n').decode()}
    (state / "blueking.bk-rabbitmq.json").write_text(json.dumps({"data": admin}))
    done, _ = run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "created: bk-rabbitmq-user-job" in done.stdout
    assert "applied: bk-rabbitmq-definitions (the administrator and 3 user(s))" in done.stdout
    assert "no running broker yet: it loads the definitions at start" in done.stdout
    job = secret(state, "bk-rabbitmq-user-job")
    assert job["username"] == "job" and len(job["password"]) == 24 and job["password"].isalnum()
    nodeman = secret(state, "bk-rabbitmq-user-bk-nodeman")
    assert nodeman["password"] != job["password"]
    definitions: dict[str, Any] = json.loads(
        secret(state, "bk-rabbitmq-definitions")["load_definition.json"]
    )
    iam = secret(state, "bk-rabbitmq-user-bkiam")
    assert definitions["users"] == [
        {"name": "user", "password": 'adm"in\\p\tw\n', "tags": "administrator"},
        {"name": "bkiam", "password": iam["password"], "tags": "management"},
        {"name": "job", "password": job["password"], "tags": "management"},
        {"name": "bk_nodeman", "password": nodeman["password"], "tags": "management"},
    ]
    assert definitions["vhosts"] == [
        {"name": "/"},
        {"name": "bkiam"},
        {"name": "job"},
        {"name": "bk_nodeman"},
    ]
    assert {(p["user"], p["vhost"]) for p in definitions["permissions"]} == {
        ("user", "/"),
        ("bkiam", "bkiam"),
        ("job", "job"),
        ("bk_nodeman", "bk_nodeman"),
    }
    # a second run creates nothing and rebuilds the same definitions
    before = {p.name: p.read_text() for p in state.iterdir()}
    again, _ = run(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "exists: bk-rabbitmq-user-job" in again.stdout and "created:" not in again.stdout
    after = {p.name: p.read_text() for p in state.iterdir()}
    assert json.loads(after["blueking.bk-rabbitmq-definitions.json"]) == json.loads(
        before["blueking.bk-rabbitmq-definitions.json"]
    )
    assert after == before


def test_without_the_administrators_secret_the_task_fails(tmp_path: Path) -> None:
    done, state = run(tmp_path)
    assert done.returncode != 0
    assert not (state / "blueking.bk-rabbitmq-definitions.json").exists()


def administrator(state: Path) -> None:
    admin = {"rabbitmq-password": base64.b64encode(b"s3cret\n").decode()}
    (state / "blueking.bk-rabbitmq.json").write_text(json.dumps({"data": admin}))


def test_a_running_broker_imports_them_at_once(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    administrator(tmp_path / "state")
    done, state = run(tmp_path, "http:204")
    assert done.returncode == 0, done.stderr
    assert "imported into the running broker" in done.stdout
    sent = tmp_path / "curl"
    assert (sent / "url").read_text() == "http://bk-rabbitmq.blueking.svc:15672/api/definitions"
    # the administrator's password byte for byte, in a header file (never in argv)
    expected = base64.b64encode(b"user:s3cret\n").decode()
    assert (sent / "header").read_text() == f"Authorization: Basic {expected}\n"
    assert json.loads((sent / "body").read_text()) == json.loads(
        secret(state, "bk-rabbitmq-definitions")["load_definition.json"]
    )
    assert "s3cret" not in done.stdout + done.stderr


def test_a_broker_that_refuses_them_fails_the_task(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    administrator(tmp_path / "state")
    done, _ = run(tmp_path, "http:401")
    assert done.returncode != 0
    assert "the broker refused the definitions: HTTP 401" in done.stderr
