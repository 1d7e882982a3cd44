"""`extends:` in env.yaml: the ancestors' layers first, their provenance kept, and a cycle or
a missing parent as one line naming env.yaml:line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import OverlayError
from bkgen.overlay.layers import release_values
from bkgen.overlay.load import load_environment

Project = Callable[..., Path]

THREE_STAGES = {
    "overlays/dev/custom.yaml": "replicas: 1\ndomain:\n  bkDomain: dev.example.com\n",
    "overlays/dev/app-values.yaml.j2": "host: dev-host\nextra: dev\n",
    "overlays/stag/env.yaml": "extends: dev\ndescription: staging\n",
    "overlays/stag/custom.yaml": "replicas: 2\n",
    "overlays/prod/env.yaml": (
        "# production\nextends: stag\nargocd:\n  sync: {prune: false}\nsuites: [base]\n"
    ),
    "overlays/prod/custom.yaml": "\n\nreplicas: 3\n",
    "overlays/prod/app-custom-values.yaml.j2": "extra: prod\n",
}


def test_child_layers_come_after_the_parents_with_their_provenance(make_project: Project) -> None:
    root = make_project(
        {
            **THREE_STAGES,
            "overlays/dev/env.yaml": (
                'kubeVersion: "1.23"\nsuites: [base]\ngit:\n  repoURL: https://git.example.com/d.git\n'
                "  path: rendered/dev\nargocd:\n  project: dev-project\n  sync: {prune: true, selfHeal: true}\n"
            ),
        }
    )
    env = load_environment(root, "prod")
    assert env.ancestors == ("dev", "stag")
    assert env.values.values["replicas"] == 3
    assert env.values.values["domain"]["bkDomain"] == "dev.example.com"
    assert [str(o) for _, o in env.values.chain(("replicas",))] == [
        "overlays/base/values.yaml:6",
        "overlays/dev/custom.yaml:1",
        "overlays/stag/custom.yaml:1",
        "overlays/prod/custom.yaml:3",
    ]
    assert str(env.values.location(("domain", "bkDomain"))) == "overlays/dev/custom.yaml:3"
    merged = release_values(env, env.catalog.releases["app"])
    assert merged.values["host"] == "dev-host"
    assert merged.values["extra"] == "prod"
    assert [str(o) for _, o in merged.chain(("extra",))] == [
        "overlays/dev/app-values.yaml.j2:2",
        "overlays/prod/app-custom-values.yaml.j2:1",
    ]
    # settings: inherited, the child's keys over them; what names an env is its own
    assert env.settings.kube_version == "1.23"
    assert env.settings.repo_url == "https://git.example.com/d.git"
    assert env.settings.path == "rendered/prod"
    assert env.settings.project == "bkce7-prod"
    assert env.settings.sync == {"prune": False, "selfHeal": True}


def test_explain_names_the_ancestor_file(make_project: Project) -> None:
    root = make_project(THREE_STAGES)
    result = CliRunner().invoke(
        cli, ["explain", "stag", "global", "domain.bkDomain", "--root", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert "overlays/dev/custom.yaml:3" in result.output
    assert "dev.example.com" in result.output


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"overlays/dev/env.yaml": 'extends: prod\nkubeVersion: "1.23"\ngit: {repoURL: x}\n'},
            r"^overlays/dev/env.yaml:1:1: overlay error: extends cycle: prod -> stag -> dev -> prod",
        ),
        (
            {"overlays/stag/env.yaml": "\nextends: stag\n"},
            r"^overlays/stag/env.yaml:2:1: overlay error: extends cycle: stag -> stag",
        ),
        (
            {"overlays/stag/env.yaml": "extends: devv\n"},
            r"^overlays/stag/env.yaml:1:1: overlay error: extends unknown environment 'devv' "
            r"\(hint: did you mean 'dev'\?\)$",
        ),
        (
            {"overlays/stag/env.yaml": "extends: base\n"},
            r"^overlays/stag/env.yaml:1:1: .*extends unknown environment 'base'",
        ),
        (
            {"overlays/stag/env.yaml": "extends: Dev\n"},
            r"^overlays/stag/env.yaml:1:1: .*'Dev' is not allowed here.*e.g. extends: bklog-dev",
        ),
        (
            {"overlays/dev/bcs.yaml": "project: {id: x}\n"},
            r"^overlays/stag/env.yaml:1:1: .*cannot extend 'dev': its bcs.yaml",
        ),
        (
            {"overlays/dev/env.yaml": 'kubeVersion: "1.23"\ngit: {repoURL: x}\nsuites: [bass]\n'},
            r"^overlays/dev/env.yaml:3:10: overlay error: unknown suite 'bass'",
        ),
        (
            {"overlays/prod/env.yaml": "extends: stag\nkubeVersion: 1.23\n"},
            r"^overlays/prod/env.yaml:2:1: .*quote it",
        ),
    ],
)
def test_bad_extends_is_one_line_naming_env_yaml(
    make_project: Project, files: dict[str, str], message: str
) -> None:
    root = make_project({**THREE_STAGES, **files})
    with pytest.raises(OverlayError, match=message):
        load_environment(root, "prod")


def test_an_env_without_extends_still_needs_kube_version_and_git(make_project: Project) -> None:
    root = make_project({"overlays/dev/env.yaml": "suites: [base]\n"})
    with pytest.raises(OverlayError, match="is a required property"):
        load_environment(root, "dev")
    root = make_project({"overlays/dev/env.yaml": 'kubeVersion: "1.23"\ngit: {path: x}\n'})
    with pytest.raises(OverlayError, match="git: 'repoURL' is a required property"):
        load_environment(root, "dev")


def test_a_child_may_set_only_its_git_path(make_project: Project) -> None:
    """What `bkgen env new --from` writes: the repoURL comes from the parent."""
    root = make_project(
        {**THREE_STAGES, "overlays/stag/env.yaml": "extends: dev\ngit: {path: out/stag}\n"}
    )
    env = load_environment(root, "stag")
    assert (env.settings.repo_url, env.settings.path) == (
        "https://git.example.com/demo.git",
        "out/stag",
    )


def test_cli_error_exits_2_without_traceback(make_project: Project) -> None:
    root = make_project({**THREE_STAGES, "overlays/stag/env.yaml": "extends: dve\n"})
    result = CliRunner().invoke(cli, ["render", "prod", "--root", str(root)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "overlays/stag/env.yaml:1:1" in result.output and "did you mean 'dev'" in result.output
    assert not (root / "rendered" / "prod").exists()


def test_commands_reading_env_yaml_lightly_see_what_it_inherits(make_project: Project) -> None:
    """validate, diff and the trusted ref read env.yaml without loading the env: they must
    still see the parent's kubeVersion, `validation:` and `diff:`."""
    from bkgen.diff.config import settings_in_tree
    from bkgen.gitops.trusted import env_validation
    from bkgen.overlay.extends import settings_doc

    root = make_project(
        {
            **THREE_STAGES,
            "overlays/dev/env.yaml": (
                'kubeVersion: "1.22"\ngit: {repoURL: x}\nvalidation: {failOn: warning}\n'
                "diff: {ignore: [metadata.labels]}\n"
            ),
        }
    )
    assert settings_doc(root, "prod")["kubeVersion"] == "1.22"
    assert env_validation(root, "prod") == {"failOn": "warning"}
    assert settings_in_tree(root, "prod") == {"ignore": ["metadata.labels"]}
    cycle = make_project({**THREE_STAGES, "overlays/dev/env.yaml": "extends: prod\n"})
    assert "kubeVersion" not in settings_doc(cycle, "prod")  # the load reports the cycle
