"""Credentials a chart writes itself (`chartCredentials` in the env's catalog.yaml).

The chart here does what bkauth 0.0.9 and bk-apigateway 0.4.64 do: a config line with a
password from `randAlphaNum`, a `checksum/config` annotation of that config on the pod
template, and a hard-coded password in a container env.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bkgen.errors import CatalogError
from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from bkgen.secrets.scan import SecretError
from tests.charts.factory import build_chart

HARD_CODED = "75bac869-hard-coded"
CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: db-config
data:
  config.yaml: |-
    port: 3306
    pprofPassword: {{ randAlphaNum 16 | quote }}
"""
ANNOTATED = """apiVersion: v1
kind: Pod
metadata:
  name: db-tool
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/config.yaml") . | sha256sum }}
spec:
  containers:
    - name: tool
      image: hub.bktencent.com/blueking/db-tool:1.0.0
      env:
        - name: CONFAPI_PKG_PWD
          value: %s
      volumeMounts: [{name: config, mountPath: /etc/db}]
  volumes: [{name: config, configMap: {name: db-config}}]
"""


def _chart(project: Path) -> None:
    shutil.rmtree(project / "overlays/dev/charts/db")  # the fixture's db has a Secret of its own
    build_chart(
        project / "overlays/dev/charts",
        "db",
        "1.0.0",
        extra_templates={"config.yaml": CONFIG, "tool.yaml": ANNOTATED % json.dumps(HARD_CODED)},
        secret_switch=None,
    )


def _declare(project: Path, **names: str) -> None:
    lines = "".join(f'      {n}: {{secretRef: "{ref}"}}\n' for n, ref in names.items())
    (project / "overlays/dev/catalog.yaml").write_text(
        f"releases:\n  db:\n    chartCredentials:\n{lines}"
    )


def _files(project: Path) -> dict[str, bytes]:
    return dict(build_tree(load_environment(project, "dev")).files)


def test_an_undeclared_generated_password_names_the_declaration(project: Path) -> None:
    _chart(project)
    with pytest.raises(SecretError) as err:
        build_tree(load_environment(project, "dev"))
    text = f"{err.value} {err.value.hint}"
    assert "pprofPassword" in text and "chartCredentials" in text
    assert "overlays/dev/catalog.yaml" in text


def test_beside_a_declared_secret_the_hint_names_the_declaration_too(project: Path) -> None:
    """The config also holds a declared password, so it moves into a Secret first and the
    Secret check (scan.py) is the one that finds the generated one."""
    shutil.rmtree(project / "overlays/dev/charts/db")
    config = CONFIG + "    dbPassword: {{ .Values.auth.password | quote }}\n"
    build_chart(
        project / "overlays/dev/charts",
        "db",
        "1.0.0",
        extra_templates={"config.yaml": config},
        secret_switch=None,
        accepts={"auth": {"password": ""}},
    )
    (project / "overlays/dev/db-custom-values.yaml.j2").write_text(
        'auth:\n  password: {secretRef: "dev/db#root"}\n'
    )
    with pytest.raises(SecretError) as err:
        build_tree(load_environment(project, "dev"))
    assert "Secret db-config key 'config.yaml' holds a literal 'pprofPassword'" in str(err.value)
    assert "{db: {chartCredentials: {pprofPassword: {secretRef:" in str(err.value.hint)


def test_declared_credentials_become_store_keys_and_renders_repeat(project: Path) -> None:
    _chart(project)
    _declare(project, pprofPassword="dev/db#pprof", CONFAPI_PKG_PWD="dev/db#confapi")
    first = _files(project)
    assert _files(project) == first  # the random password and its checksum: settled
    text = b"".join(first.values()).decode()
    assert HARD_CODED not in text
    secrets = {p: t.decode() for p, t in first.items() if "ExternalSecret_" in p}
    assert any("property: pprof" in t and "key: dev/db" in t for t in secrets.values())
    assert any("property: confapi" in t for t in secrets.values())
    pod = next(t.decode() for p, t in first.items() if p.endswith("Pod_db-tool.yaml"))
    assert "secretKeyRef" in pod and "CONFAPI_PKG_PWD" in pod
    assert "name: config\n      secret:" in pod or "secretName: db-config" in pod


def test_the_settled_checksum_follows_the_config(project: Path) -> None:
    _chart(project)
    _declare(project, pprofPassword="dev/db#pprof", CONFAPI_PKG_PWD="dev/db#confapi")
    before = _checksum(_files(project))
    _declare(project, pprofPassword="dev/db#pprof-v2", CONFAPI_PKG_PWD="dev/db#confapi")
    assert _checksum(_files(project)) != before  # a changed store key rolls the pods


def _checksum(files: dict[str, bytes]) -> str:
    pod = next(t.decode() for p, t in files.items() if p.endswith("Pod_db-tool.yaml"))
    return next(line for line in pod.splitlines() if "checksum/config" in line)


def test_a_declaration_the_chart_does_not_write_is_an_error(project: Path) -> None:
    _chart(project)
    _declare(project, pprofPasword="dev/db#pprof", CONFAPI_PKG_PWD="dev/db#confapi")
    with pytest.raises(CatalogError) as err:
        build_tree(load_environment(project, "dev"))
    assert "chartCredentials names 'pprofPasword'" in str(err.value)
    assert err.value.hint == "did you mean 'pprofPassword'?"
    assert str(err.value.location).startswith("overlays/dev/catalog.yaml")


def test_a_templates_release_takes_no_chart_credentials(project: Path) -> None:
    (project / "overlays/dev/catalog.yaml").write_text(
        'releases:\n  namespaces:\n    chartCredentials:\n      x: {secretRef: "dev/ns#x"}\n'
    )
    with pytest.raises(CatalogError, match="is a templates release"):
        load_environment(project, "dev")
