"""Declared secrets a chart puts outside a Secret are moved; literal credentials refused."""

from __future__ import annotations

from typing import Any

import pytest

from bkgen.errors import RenderError
from bkgen.render import Manifest
from bkgen.render.documents import split_documents
from bkgen.secrets import literals
from bkgen.secrets.refs import sentinel_for
from bkgen.secrets.relocate import FROM_CONFIGMAP, relocate
from bkgen.validate.rules._facts import _creates
from bkgen.validate.rules.plaintext_secret import check as plaintext_check

TOKEN = sentinel_for("env/mysql", "password")


def deployment(**container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "labels": {"app": "a"}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "main", "image": "x:1", **container}],
                    "volumes": [
                        {"name": "cfg", "configMap": {"name": "app-config", "defaultMode": 420}},
                        {
                            "name": "p",
                            "projected": {"sources": [{"configMap": {"name": "app-config"}}]},
                        },
                    ],
                }
            }
        },
    }


CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "app-config"},
    "data": {"config.yaml": f"db:\n  password: {TOKEN}\n", "level": "info"},
}


def kinds(manifests: tuple[Manifest, ...]) -> list[tuple[str, str]]:
    return [(m.body["kind"], m.body["metadata"]["name"]) for m in manifests]


def test_a_configmap_carrying_a_declared_secret_becomes_a_secret_and_references_follow() -> None:
    pod = deployment(
        envFrom=[{"configMapRef": {"name": "app-config"}}, {"configMapRef": {"name": "other"}}],
        env=[
            {"name": "L", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "level"}}}
        ],
    )
    out = relocate([Manifest(CONFIGMAP, "c.yaml"), Manifest(pod, "d.yaml")])
    assert kinds(out) == [("Secret", "app-config"), ("Deployment", "app")]
    secret = out[0].body
    assert secret["stringData"] == CONFIGMAP["data"]
    assert secret["metadata"]["annotations"] == {FROM_CONFIGMAP: "true"}
    spec = out[1].body["spec"]["template"]["spec"]
    assert spec["volumes"][0] == {
        "name": "cfg",
        "secret": {"secretName": "app-config", "defaultMode": 420},
    }
    assert spec["volumes"][1]["projected"]["sources"] == [{"secret": {"name": "app-config"}}]
    container = spec["containers"][0]
    assert container["envFrom"] == [
        {"secretRef": {"name": "app-config"}},
        {"configMapRef": {"name": "other"}},  # a ConfigMap that carries nothing stays one
    ]
    assert container["env"][0]["valueFrom"] == {
        "secretKeyRef": {"name": "app-config", "key": "level"}
    }
    assert CONFIGMAP["kind"] == "ConfigMap"  # inputs are not edited in place


def test_env_values_and_args_read_the_secret_through_the_kubelet() -> None:
    pod = deployment(
        env=[{"name": "DB_PASSWORD", "value": TOKEN}, {"name": "MODE", "value": "prod"}],
        args=[f"--password={TOKEN}", "--verbose"],
    )
    pod["metadata"]["annotations"] = {"helm.sh/hook": "pre-install", "other": "x"}
    out = relocate([Manifest(pod, "d.yaml")])
    assert kinds(out) == [("Deployment", "app"), ("Secret", "app-bkgen-env")]
    container = out[0].body["spec"]["template"]["spec"]["containers"][0]
    variable = f"BKGEN_SECRET_{TOKEN[len('bkgensecret') : -1].upper()}"
    assert container["args"] == [f"--password=$({variable})", "--verbose"]
    assert container["env"][0] == {
        "name": variable,
        "valueFrom": {"secretKeyRef": {"name": "app-bkgen-env", "key": f"main.{variable}"}},
    }
    assert {"name": "MODE", "value": "prod"} in container["env"]
    assert {
        "name": "DB_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "app-bkgen-env", "key": "main.DB_PASSWORD"}},
    } in container["env"]
    secret = out[1].body
    assert secret["stringData"] == {"main.DB_PASSWORD": TOKEN, f"main.{variable}": TOKEN}
    assert secret["metadata"]["annotations"] == {"helm.sh/hook": "pre-install"}


def test_a_configmap_named_like_an_existing_secret_stays_and_is_left_to_the_scan() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app-config"}}
    out = relocate([Manifest(CONFIGMAP, "c.yaml"), Manifest(secret, "s.yaml")])
    assert kinds(out) == [("ConfigMap", "app-config"), ("Secret", "app-config")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('pprofPassword: "HbHS4hla6WQDjAGF"\n', "line 1: pprofPassword is a literal credential"),
        ("a: 1\n-----BEGIN RSA PRIVATE KEY-----\n", "line 2: a private key"),
        (
            "private-key-base64: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlC\n",
            "line 1: a private key",
        ),
        ("db.password=s3cret\n", "line 1: db.password is a literal credential"),
    ],
)
def test_literal_credentials_in_config_text_are_found_without_their_value(
    text: str, found: str
) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"f": text}}
    hits = list(literals.findings([Manifest(cm, "c.yaml")]))
    assert [(where, what) for _, where, what, _ in hits] == [("data.f", found)]
    assert "s3cret" not in found and "HbHS" not in found


@pytest.mark.parametrize(
    "text",
    [
        "password: ''\n",
        "password: ${DB_PASSWORD}\n",
        "password: {{ .s_0123456789abcdef }}\n",
        f"password: {TOKEN}\n",
        "secretId: xxx\n",
        "ALLOW_EMPTY_PASSWORD: yes\n",
        "api_rate_tokens: 5000\n",
        "ssmTokenUrl: /api/v1/auth/access-tokens\n",
        "passwordFile: /etc/secret/pw\n",
    ],
)
def test_references_placeholders_and_non_credentials_are_not_literals(text: str) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"f": text}}
    assert list(literals.findings([Manifest(cm, "c.yaml")])) == []


def test_a_literal_env_credential_is_found() -> None:
    pod = deployment(env=[{"name": "CONFAPI_PKG_PWD", "value": "hunter22"}])
    hits = [(w, what) for _, w, what, _ in literals.findings([Manifest(pod, "d.yaml")])]
    assert hits == [("spec.template.spec.containers.0.env.CONFAPI_PKG_PWD", "a literal credential")]


def test_chart_output_keeps_the_last_of_duplicate_keys_as_helm_and_says_so() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    x: 1\n    x: 2\n"
    notes: list[str] = []
    [manifest] = split_documents(text, "chart.tgz:t.yaml", helm=True, notes=notes)
    assert manifest.body["metadata"]["labels"] == {"x": 2}
    assert notes == [
        "chart.tgz:t.yaml: duplicate key 'x' (lines 6 and 7): the last one is kept, as Helm does"
    ]
    with pytest.raises(RenderError, match=r"duplicate key 'x' \(lines 6 and 7\)"):
        split_documents(text, "own.yaml")  # templates authored here stay strict


def test_empty_secret_values_are_not_plain_text_and_certgen_jobs_create_their_secret() -> None:
    empty = {"apiVersion": "v1", "kind": "Secret", "data": {"mongodb-password": ""}}
    assert list(plaintext_check(empty, None)) == []  # type: ignore[arg-type]
    full = {"apiVersion": "v1", "kind": "Secret", "data": {"k": "eA=="}}
    assert len(list(plaintext_check(full, None))) == 1  # type: ignore[arg-type]
    job_spec = {
        "template": {
            "spec": {
                "containers": [
                    {"name": "c", "args": ["create", "--secret-name=ingress-nginx-admission"]}
                ]
            }
        }
    }
    assert list(_creates("Job", {}, job_spec, {})) == [("Secret", "ingress-nginx-admission")]
