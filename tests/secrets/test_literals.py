"""No literal credential rides along into git (#25, point 4): not inside an ExternalSecret
template beside declared keys, not in the committed values of a release Argo CD renders."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from bkgen.secrets.literals import literal_credential, literal_values
from bkgen.secrets.refs import sentinel_for
from bkgen.secrets.scan import SecretError
from tests.charts.factory import build_chart

Project = Callable[..., Path]
CANARY = "canary-lit-4c1d"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{CANARY}\n-----END RSA PRIVATE KEY-----\n"
DOCKER = json.dumps({"auths": {"r.example.com": {"auth": base64.b64encode(b"u:p").decode()}}})


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (PEM, "private key"),
        (f"aws_access_key_id = AKIA{'A' * 16}\n", "AWS access key"),
        (f"url: https://admin:{CANARY}@db.example.com:3306/x\n", "password inside a URL"),
        (DOCKER, "registry credentials"),
        (f"[db]\npassword = {CANARY}\n", "literal 'password'"),
    ],
)
def test_literal_credentials_are_recognised(text: str, what: str) -> None:
    found = literal_credential(text)
    assert found is not None and what in found and CANARY not in found


@pytest.mark.parametrize(
    "text",
    [
        "",
        "user: root\nhost: db\n",
        "password: ${DB_PASSWORD}\n",
        "url: https://db.example.com/x\n",
        'password: ""\n',
        json.dumps({"auths": {"r.example.com": {}}}),
    ],
)
def test_references_and_plain_config_are_not_credentials(text: str) -> None:
    assert literal_credential(text) is None


def test_a_url_password_is_found_after_a_long_run_and_behind_a_long_scheme() -> None:
    """A chart's certificate or base64 blob is one long run of scheme characters: the
    search reads it once (it used to start a scan to the run's end at every character,
    an hour for a megabyte a hostile chart can emit); a long made-up scheme still counts."""
    blob = "A" * 400_000
    assert literal_credential(f"{blob}\nurl: mysql://root:{CANARY}@db/x\n") is not None
    assert literal_credential(f"{'x' * 200}://user:{CANARY}@host\n") is not None
    assert literal_credential(f"{blob}://user:{CANARY}@host\n") is not None
    assert literal_credential(f"{blob} https://db.example.com/x\n") is None
    for lead in ("-", "1", ".", "10.0.0.5:8080-"):  # the scheme is the run from its letter
        assert literal_credential(f"url: {lead}https://admin:{CANARY}@h/x\n") is not None


def test_a_sentinel_is_not_a_literal() -> None:
    token = sentinel_for("bkce7/db", "pw")
    assert literal_credential(f"password = {token}\nurl: mysql://root:{token}@db/x\n") is None
    assert list(literal_values({"auth": {"password": token}})) == []


def test_literal_values_name_path_not_value() -> None:
    found = list(literal_values({"mongodb": {"password": CANARY}, "replicas": 2}))
    assert [(p, w) for p, w, _ in found] == [("mongodb.password", "a literal credential")]


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [
        ("tls.pem", PEM, "a private key (PEM)"),
        (".dockerconfigjson", DOCKER, "registry credentials (auths)"),
        ("config.ini", f"[s3]\naccess = AKIA{'B' * 16}\n", "an AWS access key"),
        ("dsn", f"mysql://root:{CANARY}@db:3306/app", "a password inside a URL"),
    ],
)
def test_an_external_secret_never_carries_a_literal(
    project: Path, key: str, value: str, what: str
) -> None:
    extra = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-env\nstringData:\n"
        "  DB_PASSWORD: {{ .Values.auth.password | quote }}\n"
        f"  {json.dumps(key)}: {json.dumps(value)}\n"
    )
    build_chart(project / "overlays/dev/charts", "db", "1.0.0", extra_templates={"env.yaml": extra})
    (project / "overlays/dev/db-custom-values.yaml.j2").write_text(
        'auth:\n  password: {secretRef: "bkce7/db#root-password"}\n'
    )
    with pytest.raises(SecretError) as err:
        build_tree(load_environment(project, "dev"))
    assert f"Secret db-env key '{key}' holds {what}" in str(err.value)
    assert CANARY not in str(err.value)


def test_a_literal_beside_a_sentinel_in_one_key_is_refused(project: Path) -> None:
    extra = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-env\nstringData:\n"
        '  config.ini: "password = {{ .Values.auth.password }}\\nurl = '
        f'https://bot:{CANARY}@git.example.com/x"\n'
    )
    build_chart(project / "overlays/dev/charts", "db", "1.0.0", extra_templates={"env.yaml": extra})
    (project / "overlays/dev/db-custom-values.yaml.j2").write_text(
        'auth:\n  password: {secretRef: "bkce7/db#root-password"}\n'
    )
    with pytest.raises(SecretError) as err:
        build_tree(load_environment(project, "dev"))
    assert "key 'config.ini' holds a password inside a URL" in str(err.value)
    assert CANARY not in str(err.value)


def test_a_literal_password_in_argocd_rendered_values_is_refused(project: Path) -> None:
    shutil.rmtree(project / "overlays/dev/charts/app")  # helm-argocd: values are committed
    (project / "overlays/dev/db-custom-values.yaml.j2").write_text("existingSecret: db-creds\n")
    (project / "overlays/dev/app-custom-values.yaml.j2").write_text(
        f"replicaCount: 1\nmongodb:\n  password: {CANARY}\n"
    )
    with pytest.raises(SecretError) as err:
        build_tree(load_environment(project, "dev"))
    text = str(err.value)
    assert "overlays/dev/app-custom-values.yaml.j2:3" in text
    assert "mongodb.password holds a literal credential" in text and CANARY not in text
