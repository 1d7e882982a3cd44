"""An environment's own catalog.yaml: new releases, values file lists, .gotmpl layers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.overlay.layers import release_values
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]

OWN_ENV = """\
kubeVersion: "1.23"
suites: [base]
baseReleaseValues: false
git:
  repoURL: https://git.example.com/demo.git
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_values_list_in_helmfile_order_with_go_templates(make_project: Project) -> None:
    root = make_project(
        {
            "overlays/dev/env.yaml": OWN_ENV,
            "overlays/dev/custom.yaml": "appPort: 8080\n",
            "overlays/dev/catalog.yaml": (
                "releases:\n"
                "  app:\n"
                "    values: [app/values.yaml.gotmpl, app/resources.yaml, app-last.yaml.j2]\n"
            ),
            "overlays/dev/app/values.yaml.gotmpl": (
                "host: app.{{ .Values.domain.bkDomain }}\n"
                "port: {{ .Values.appPort }}\n"
                "chart: {{ .Values.version.app }}\n"
                "release: {{ .Release.Name }}/{{ .Release.Namespace }}\n"
                'cert: {{ readFile "tls.crt" | trim }}\n'
            ),
            "overlays/dev/app/tls.crt": "PUBLIC CERT\n",
            "overlays/dev/app/resources.yaml": "port: 9090\nresources: {cpu: 1}\n",
            "overlays/dev/app-last.yaml.j2": "replicaCount: {{ values.replicas }}\n",
        }
    )
    env = load_environment(root, "dev")
    merged = release_values(env, env.catalog.releases["app"])
    # base releases/app-values.yaml.j2 (replicaCount, host) does not apply: baseReleaseValues
    assert merged.values == {
        "host": "app.example.test",
        "port": 9090,  # resources.yaml comes later than values.yaml.gotmpl
        "chart": "2.0.0",  # .Values.version is keyed by chart name, from the pins
        "release": "app/demo",
        "cert": "PUBLIC CERT",
        "resources": {"cpu": 1},
        "replicaCount": 1,
    }
    assert merged.location(("port",)).path == "overlays/dev/app/resources.yaml"
    assert merged.location(("host",)).path == "overlays/dev/app/values.yaml.gotmpl"
    assert run("render", "dev", "-q", "--root", str(root))[0] == 0
    # explain follows a Go template line back to the global layer it read
    code, out = run("explain", "dev", "app", "host", "--root", str(root))
    assert code == 0, out
    assert out.splitlines()[1:] == [
        "  set by overlays/dev/app/values.yaml.gotmpl:1",
        "    values.domain.bkDomain set by overlays/base/values.yaml:4",
        "  origin: overlays/base/values.yaml:4 (values.domain.bkDomain) → used by "
        "overlays/dev/app/values.yaml.gotmpl:1",
    ]


def test_a_new_release_and_a_base_release_switched_off(make_project: Project) -> None:
    root = make_project(
        {
            "overlays/dev/catalog.yaml": (
                "suites:\n  extra: releases of sentry.yaml.gotmpl\n"
                "releases:\n"
                "  sentry:\n"
                "    chart: {repo: demo, name: sentry}\n"
                "    suite: base\n"
                "    seq: first\n"
                "    needs: [db]\n"
                "  app:\n"
                "    enabled: false\n"
            ),
            "overlays/dev/versions.yaml": 'version:\n  sentry: "4.3.3"\n',
        }
    )
    env = load_environment(root, "dev")
    assert "sentry" in {r.name for r in env.plan.releases}
    assert env.plan.waves["sentry"] > env.plan.waves["db"]
    assert env.plan.disabled["app"] == "switched off in overlays/dev/catalog.yaml"
    assert "extra" in env.catalog.suites


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"overlays/dev/catalog.yaml": "releases:\n  apq:\n    values: [a.yaml]\n"},
            "overlays/dev/catalog.yaml:2: catalog error: release 'apq' is not in the base "
            "catalog; a new release needs chart, suite, seq (hint: did you mean 'app'?",
        ),
        (
            {"overlays/dev/catalog.yaml": "releases:\n  app:\n    values: [nope.yaml]\n"},
            "overlays/dev/catalog.yaml:3: overlay error: values file 'nope.yaml' does not exist",
        ),
        (
            {"overlays/dev/catalog.yaml": "releases:\n  app:\n    values: [../../x.yaml]\n"},
            "overlays/dev/catalog.yaml:3",
        ),
        (
            {"overlays/dev/catalog.yaml": "releases:\n  namespaces:\n    values: [a.yaml]\n"},
            "release 'namespaces' is a templates release of the base catalog",
        ),
        (
            {
                "overlays/dev/env.yaml": OWN_ENV,
                "overlays/dev/custom.yaml": "apPort: 1\n",
                "overlays/dev/catalog.yaml": "releases:\n  app:\n    values: [a.yaml.gotmpl]\n",
                "overlays/dev/a.yaml.gotmpl": "port: {{ .Values.appPort }}\n",
            },
            "overlays/dev/custom.yaml:1:1: overlay error: unknown key 'apPort': neither "
            "overlays/base/values.yaml nor any values template of this environment reads it "
            "(hint: did you mean 'appPort'?)",
        ),
        (
            {
                "overlays/dev/env.yaml": OWN_ENV,
                "overlays/dev/catalog.yaml": "releases:\n  app:\n    values: [a.yaml.gotmpl]\n",
                "overlays/dev/a.yaml.gotmpl": 'a: 1\nport: {{ exec "id" (list) }}\n',
            },
            "overlays/dev/a.yaml.gotmpl:2: template error:",
        ),
        (
            {"overlays/dev/stray.yaml.gotmpl": "a: 1\n"},
            "overlays/dev/stray.yaml.gotmpl: overlay error: file bkgen does not read",
        ),
    ],
)
def test_bad_env_catalog_input_is_one_line(
    make_project: Project, files: dict[str, str], expected: str
) -> None:
    root = make_project(files)
    code, out = run("render", "dev", "-q", "--root", str(root))
    assert code in {1, 2}, out
    assert out.count("\n") == 1 and expected in out, out
    assert not (root / "rendered" / "dev").exists()
