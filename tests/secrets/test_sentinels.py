"""No secret value in any output: sentinels planted in Secret data, credential keys, credential
env vars and multi-line configs never appear in diff, check, validate, explain or render output.

Render refuses a literal credential in a ConfigMap or an env value (secrets/literals.py), so
the planted manifests reach the committed tree the way a hand edit or a hostile change would:
written there directly. Render still gets the planted template, and its refusal is one of
the outputs checked."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from tests.gitops.conftest import git

# A Secret with values cannot be rendered (bkgen refuses it, docs/charts.md); a committed tree
# can still hold one, edited by hand or by a hostile change: it is planted there directly.
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: sentinel-secret
  namespace: blueking
type: Opaque
data:
  password: {b64}
stringData:
  token: S{v}-STRINGDATA
  app.conf: |
    user=admin
    password=S{v}-IN-SECRET-CONF
"""
TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: sentinel-config
  namespace: {{{{ release.namespace }}}}
data:
  DB_PASSWORD: S{v}-CM-KEY
  my.cnf: |
    [client]
    user=root
    password = S{v}-MYCNF
    host=mysql
  app.yaml: |
    db:
      url: mysql://root:S{v}-URL@mysql:3306/bk
      password: "S{v}-YAML"
  tls.key: |
    -----BEGIN RSA PRIVATE KEY-----
    S{v}-PEM
    -----END RSA PRIVATE KEY-----
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sentinel-app
  namespace: {{{{ release.namespace }}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: sentinel}}
  template:
    metadata:
      labels: {{app: sentinel}}
    spec:
      containers:
        - name: app
          image: hub.bktencent.com/library/registry:2
          env:
            - name: DB_PASSWORD
              value: S{v}-ENV
            - name: DB_HOST
              value: mysql
          resources:
            limits: {{cpu: 100m, memory: 64Mi}}
            requests: {{cpu: 100m, memory: 64Mi}}
          readinessProbe: {{tcpSocket: {{port: 5000}}}}
          livenessProbe: {{tcpSocket: {{port: 5000}}}}
"""
VALUES = """
sentinelApp:
  dbPassword: S{v}-VALUES-PW
  apiToken: S{v}-VALUES-TOKEN
  config: |
    [client]
    password=S{v}-VALUES-CONF
"""


def _plant_secret(root: Path, version: str) -> None:
    b64 = base64.b64encode(f"S{version}-DATA".encode()).decode()
    path = root / "rendered/default/releases/registry-cache/Secret_sentinel-secret.yaml"
    path.write_text(SECRET.format(v=version, b64=b64))


def _plant_rendered(root: Path, version: str) -> None:
    """The planted manifests, as committed by hand (render refuses to make them)."""
    release = root / "rendered/default/releases/registry-cache"
    text = TEMPLATE.format(v=version).replace("{{ release.namespace }}", "blueking")
    config, app = text.split("\n---\n", 1)
    (release / "ConfigMap_sentinel-config.yaml").write_text(config + "\n")
    (release / "Deployment_sentinel-app.yaml").write_text(app)


def _plant_template(root: Path, version: str) -> None:
    path = root / "overlays/base/templates/registry-cache/sentinel.yaml.j2"
    path.write_text(TEMPLATE.format(v=version))


def _unplant_template(root: Path) -> None:
    (root / "overlays/base/templates/registry-cache/sentinel.yaml.j2").unlink()


def _plant(root: Path, version: str) -> None:
    values = root / "overlays/base/values.yaml"
    text = values.read_text().split("\nsentinelApp:")[0]
    values.write_text(text.rstrip("\n") + "\n" + VALUES.format(v=version))


def _sentinels(version: str) -> list[str]:
    plain = f"S{version}-"
    encoded = base64.b64encode(f"S{version}-DATA".encode()).decode()
    return [plain, encoded]


def run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--root", str(root)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output


@pytest.fixture
def planted(tmp_path: Path, repo_root: Path) -> Path:
    root = tmp_path / "gitops"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(repo_root / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    for env in ("prod", "bcs-demo"):
        shutil.rmtree(root / "overlays" / env)
    _plant(root, "ENTINEL1")
    git(root, "init", "-q")
    assert "error" not in run(root, "render", "default", "-q").lower()
    _plant_secret(root, "ENTINEL1")
    _plant_rendered(root, "ENTINEL1")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "planted")
    return root


def test_no_sentinel_in_any_output(planted: Path, tmp_path: Path) -> None:
    root = planted
    outputs: dict[str, str] = {}
    # render: text and json, refused for the template's literal credentials
    _plant(root, "ENTINEL2")
    _plant_template(root, "ENTINEL2")
    outputs["render text"] = run(root, "render", "default")
    outputs["render json"] = run(root, "render", "default", "-o", "json")
    assert "secret error" in outputs["render text"]
    _unplant_template(root)
    _plant_secret(root, "ENTINEL2")
    _plant_rendered(root, "ENTINEL2")
    # diff working tree (SENTINEL2) against HEAD (SENTINEL1), every format, and the full file
    for fmt in ("terminal", "markdown", "json"):
        report = tmp_path / f"diff.{fmt}"
        outputs[f"diff {fmt}"] = run(
            root, "diff", "default", "-o", fmt, "--output-file", str(report)
        )
        outputs[f"diff {fmt} file"] = report.read_text()
    # directory diff: the planted resources are added in full
    empty = tmp_path / "empty"
    empty.mkdir()
    outputs["diff dirs"] = run(root, "diff", str(empty), str(root / "rendered/default"))
    outputs["diff dirs removed"] = run(root, "diff", str(root / "rendered/default"), str(empty))
    # check: committed SENTINEL2 tree (with its hand-planted Secret) vs a fresh SENTINEL3 render
    _plant(root, "ENTINEL3")
    for fmt in ("terminal", "markdown", "json"):
        outputs[f"check {fmt}"] = run(root, "check", "default", "-o", fmt)
    # validate: every reporter, on the tree and on the files
    for fmt in ("text", "json", "junit", "sarif", "tap"):
        outputs[f"validate {fmt}"] = run(
            root, "validate", "default", "-o", fmt, "--fail-on", "info"
        )
    # explain: credential keys, their parent, and a multi-line config
    for key in (
        "sentinelApp.dbPassword",
        "sentinelApp.apiToken",
        "sentinelApp",
        "sentinelApp.config",
    ):
        outputs[f"explain {key}"] = run(root, "explain", "default", "global", key)
    assert "differ from a fresh render" in outputs["check terminal"]
    # The planted values are really there (else this test would prove nothing) ...
    assert "sentinel-secret" in outputs["diff dirs"] and "sentinel-config" in outputs["diff dirs"]
    assert "DB_PASSWORD" in outputs["diff terminal"]
    assert "set by overlays/base/values.yaml" in outputs["explain sentinelApp.dbPassword"]
    # ... and changed between base and head, so the diff had to report them.
    assert "sensitive value changed" in outputs["diff terminal"]
    print(outputs["diff terminal"])
    leaks = [
        (name, sentinel)
        for name, text in outputs.items()
        for version in ("ENTINEL1", "ENTINEL2", "ENTINEL3")
        for sentinel in _sentinels(version)
        if sentinel in text
    ]
    assert not leaks, leaks


def test_schema_messages_do_not_quote_credentials(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {token: 987654321}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        "data: {DB_PASSWORD: 123454321, plain: 77}\n"
    )
    for fmt in ("text", "json", "junit", "sarif", "tap"):
        result = CliRunner().invoke(cli, ["validate", str(bad), "-o", fmt])
        assert result.exit_code == 1
        assert "987654321" not in result.output and "123454321" not in result.output, fmt
        assert "is not of type" in result.output and "77 is not of type" in result.output
