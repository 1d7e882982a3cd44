"""Masking: what is sensitive, what is a reference, and that shown text keeps its shape."""

from __future__ import annotations

import pytest

from bkgen.diff.compare import compare
from bkgen.secrets.masking import MASK, credential_key, mask_resource, mask_text


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "rootPassword",
        "DB_PASSWORD",
        "token",
        "apiKey",
        "api_key",
        "privateKey",
        "tls.key",
        "client-secret",
        "bkAppSecret",
        "accessKey",
        "credentials",
        "passphrase",
    ],
)
def test_credential_keys(key: str) -> None:
    assert credential_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "secretName",
        "existingSecret",
        "existingSecretPasswordKey",
        "existingPasswordSecret",
        "tokenSecret",
        "tlsSecretName",
        "secretKeyRef",
        "secretRef",
        "imagePullSecrets",
        "name",
        "key",
        "host",
        "passwordKey",
        "username",
    ],
)
def test_references_and_plain_keys_are_not_credentials(key: str) -> None:
    assert not credential_key(key)


def test_secret_data_credential_keys_and_env_values_are_masked_references_shown() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"user": "cm9vdA=="},
        "stringData": {"config": "a\nb"},
    }
    assert mask_resource(secret)["data"] == {"user": MASK}
    assert mask_resource(secret)["stringData"] == {"config": MASK}
    pod = {
        "kind": "Deployment",
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "env": [
                        {"name": "DB_PASSWORD", "value": "hunter2"},
                        {"name": "DB_HOST", "value": "mysql"},
                        {
                            "name": "DB_TOKEN",
                            "valueFrom": {"secretKeyRef": {"name": "db", "key": "token"}},
                        },
                    ],
                }
            ],
            "volumes": [{"name": "v", "secret": {"secretName": "tls"}}],
        },
        "values": {
            "auth": {"rootPassword": "pw", "existingSecret": "bk-mysql", "usePassword": True},
            "secrets": {"mysqlRoot": {"name": "bk-mysql", "key": "mysql-root-password"}},
        },
    }
    shown = mask_resource(pod)
    env = shown["spec"]["containers"][0]["env"]
    assert env[0]["value"] == MASK and env[1]["value"] == "mysql"
    assert env[2]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "token"}}
    assert shown["spec"]["volumes"][0]["secret"] == {"secretName": "tls"}
    assert shown["values"]["auth"] == {
        "rootPassword": MASK,
        "existingSecret": "bk-mysql",
        "usePassword": True,
    }
    assert shown["values"]["secrets"] == pod["values"]["secrets"]


def test_multiline_text_keeps_its_lines_and_loses_its_secrets() -> None:
    text = (
        "[client]\npassword = s3cret-one\nuser=root\nurl: https://bob:s3cret-two@host/x\n"
        "export API_TOKEN=s3cret-three\n-----BEGIN RSA PRIVATE KEY-----\nMIIEs3cret\n"
        "-----END RSA PRIVATE KEY-----\nTOKEN_SECRET_NAME=kept\n"
    )
    text += '{"user": "a", "password": "s3cret-four"}\nurl?x=1&token=s3cret-five\nA=1;DB_PASSWORD=s3cret-6\n'
    shown = mask_text(text)
    assert "s3cret" not in shown
    assert shown.count("\n") == text.count("\n")
    assert "user=root" in shown and "-----BEGIN RSA PRIVATE KEY-----" in shown
    assert '"user": "a"' in shown
    # Variable references are not values: scripts stay readable.
    script = 'curl -u "$USER:$PASSWORD" -d "password=$PW" --data \'{"token": "${TOKEN}"}\''
    assert mask_text(script) == script


def test_compare_sees_sensitive_changes_and_marks_them() -> None:
    old = {"kind": "Secret", "data": {"password": "YQ=="}, "metadata": {"name": "s"}}
    new = {"kind": "Secret", "data": {"password": "Yg=="}, "metadata": {"name": "s"}}
    (change,) = compare(old, new)
    assert change.path == "data.password" and change.sensitive and change.kind == "changed"
    (change,) = compare({"a": {"existingSecret": "x"}}, {"a": {"existingSecret": "y"}})
    assert not change.sensitive
