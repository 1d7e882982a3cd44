"""Overlay loading: layering order, schema errors with file:line, and nothing written on error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import CatalogError, OverlayError, TemplateError, UsageError
from bkgen.overlay.layers import release_values
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]


def test_layering_order_versions_values_custom(make_project: Project) -> None:
    root = make_project(
        {
            "overlays/dev/custom.yaml": "replicas: 3\n",
            "overlays/dev/versions.yaml": 'version:\n  app: "2.1.0"\n',
            "overlays/dev/app-values.yaml.j2": "host: override\n",
            "overlays/dev/app-custom-values.yaml.j2": "extra: {{ values.replicas * 2 }}\n",
        }
    )
    env = load_environment(root, "dev")
    assert env.versions["app"] == "2.1.0"
    assert env.values.values["replicas"] == 3
    merged = release_values(env, env.catalog.releases["app"])
    assert merged.values == {"replicaCount": 3, "host": "override", "extra": 6}
    chain = [str(o) for _, o in merged.chain(("host",))]
    assert chain == [
        "overlays/base/releases/app-values.yaml.j2:2",
        "overlays/dev/app-values.yaml.j2:1",
    ]


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        (
            {"overlays/dev/custom.yaml": "replicas: [1\n"},
            OverlayError,
            r"overlays/dev/custom.yaml:2:1: overlay error: invalid YAML",
        ),
        (
            {"overlays/dev/custom.yaml": "replicas: 1\nreplicas: 2\n"},
            OverlayError,
            r"overlays/dev/custom.yaml:2:1: overlay error: duplicate key",
        ),
        (
            {"overlays/dev/custom.yaml": "domain:\n  bkDomian: x\n"},
            OverlayError,
            r"overlays/dev/custom.yaml:2:3: .*unknown key 'domain.bkDomian'.*did you mean 'domain.bkDomain'",
        ),
        (
            {"overlays/dev/env.yaml": 'kubeVersion: "1.23"\ngit: {repoURL: x}\nsuits: [base]\n'},
            OverlayError,
            r"overlays/dev/env.yaml:3:1: overlay error: unknown key 'suits'",
        ),
        (
            {"overlays/dev/env.yaml": 'kubeVersion: "2.0"\ngit: {repoURL: x}\n'},
            OverlayError,
            r"overlays/dev/env.yaml:1:1: overlay error: kubeVersion: '2.0' is not allowed here",
        ),
        (
            {"overlays/base/versions.yaml": 'version:\n  db: "latest"\n  app: "2.0.0"\n'},
            OverlayError,
            r"overlays/base/versions.yaml:2:3: overlay error: version.db: 'latest' is not allowed here",
        ),
        (
            {"overlays/base/versions.yaml": 'version:\n  db: "1.0.0"\n'},
            OverlayError,
            r"chart release 'app' has no pinned version",
        ),
        (
            {"overlays/base/releases/app-values.yaml.j2": "a: 1\nb: {{ values.nope }}\n"},
            TemplateError,
            r"app-values.yaml.j2:2: template error: undefined variable",
        ),
        (
            {"overlays/base/releases/app-values.yaml.j2": "a: {{ ''.__class__.__mro__ }}\n"},
            TemplateError,
            r"refused unsafe template operation",
        ),
        (
            {
                "overlays/base/releases/app-values.yaml.j2": "a: {{ values.__class__.__init__.__globals__ }}\n"
            },
            TemplateError,
            r"refused unsafe template operation",
        ),
    ],
)
def test_bad_input_is_one_clear_error(
    make_project: Project, files: dict[str, str], error: type[Exception], message: str
) -> None:
    root = make_project(files)
    with pytest.raises(error, match=message):
        env = load_environment(root, "dev")
        release_values(env, env.catalog.releases["app"])


def test_release_name_that_would_escape_rendered_is_refused(make_project: Project) -> None:
    catalog = (
        "repositories: {}\nseqOrder: [pre]\nsuites: {base: x}\nreleases:\n"
        "  ../../etc:\n    templates: namespaces\n    suite: base\n    seq: pre\n"
    )
    root = make_project(
        {"overlays/base/catalog.yaml": catalog, "overlays/base/versions.yaml": "{}\n"}
    )
    with pytest.raises(
        OverlayError, match=r"catalog.yaml:5:3: overlay error: invalid key '../../etc' in releases"
    ):
        load_environment(root, "dev")


def test_unknown_suite_and_unknown_environment(make_project: Project) -> None:
    root = make_project(
        {"overlays/dev/env.yaml": 'kubeVersion: "1.23"\nsuites: [base, nope]\ngit: {repoURL: x}\n'}
    )
    with pytest.raises(OverlayError, match=r"env.yaml:2:16: overlay error: unknown suite 'nope'"):
        load_environment(root, "dev")
    with pytest.raises(UsageError, match="unknown environment 'missing'"):
        load_environment(root, "missing")
    with pytest.raises(UsageError, match="invalid environment name"):
        load_environment(root, "../x")


def test_enabled_by_must_name_a_boolean(make_project: Project) -> None:
    catalog = (
        "repositories: {}\nseqOrder: [pre]\nsuites: {base: x}\nreleases:\n"
        "  namespaces:\n    templates: namespaces\n    suite: base\n    seq: pre\n"
        "    enabledBy: replicas\n"
    )
    root = make_project(
        {"overlays/base/catalog.yaml": catalog, "overlays/base/versions.yaml": "{}\n"}
    )
    with pytest.raises(CatalogError, match="'replicas' must be true or false"):
        load_environment(root, "dev")


@pytest.mark.parametrize(
    "files",
    [
        {"overlays/dev/custom.yaml": "replicas: [1\n"},
        {"overlays/dev/custom.yaml": "replicaz: 2\n"},
        {"overlays/dev/custom.yaml": "\tbad: tab\n"},
        {"overlays/dev/custom.yaml": "a: &a [*a, *a]\n"},
        {
            "overlays/base/catalog.yaml": "repositories: {}\nseqOrder: [pre]\nsuites: {base: x}\nreleases:\n  ../x:\n    templates: namespaces\n    suite: base\n    seq: pre\n",
            "overlays/base/versions.yaml": "{}\n",
        },
        {"overlays/base/releases/app-values.yaml.j2": "{{ missing }}\n"},
        {"overlays/base/releases/app-values.yaml.j2": "{{ cycler.__init__.__globals__.os }}\n"},
        {"overlays/base/templates/namespaces/ns.yaml.j2": "{{ ''.__class__ }}\n"},
        {
            "overlays/dev/env.yaml": 'kubeVersion: "1.23"\ngit: {repoURL: x}\ncharts: {mode: local}\n'
        },
    ],
)
def test_cli_errors_exit_nonzero_without_traceback_and_write_nothing(
    make_project: Project, files: dict[str, str]
) -> None:
    root = make_project(files)
    result = CliRunner().invoke(cli, ["render", "dev", "--root", str(root)])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("bkgen:")]
    assert len(lines) == 1 and "error" in lines[0]
    assert not (root / "rendered").exists() or not any((root / "rendered").iterdir())


def test_alias_bomb_is_refused_quickly(make_project: Project) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    root = make_project({"overlays/dev/custom.yaml": "\n".join([*lines, "replicas: *a8"]) + "\n"})
    with pytest.raises(OverlayError, match="alias bomb"):
        load_environment(root, "dev")
