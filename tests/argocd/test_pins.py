"""Point 2: a change reaches a child only through its Application spec, in wave order.

Children read `bkgen/<env>/<release>/<digest>` tags instead of a branch. These tests show
the three properties that ordering rests on, with real git: a change moves only the pin of
the release it changes; publishing creates the pins on the commit that holds the files;
a child still pinned to the old tag keeps reading the old files until the root hands it
the new spec (which the root does wave by wave).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bkgen.errors import GitError
from bkgen.gitops import pin_tags
from bkgen.gitops.publish import publish
from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from tests.gitops.conftest import git, git_identity

__all__ = ["git_identity"]  # the fixture, for this module

CATALOG = """\
repositories:
  demo:
    url: https://charts.example.com/demo
seqOrder: [pre, storage, first]
suites:
  base: test suite
releases:
  namespaces: {templates: namespaces, suite: base, seq: pre}
  settings: {templates: settings, suite: base, seq: storage, needs: [namespaces]}
  app:
    chart: {repo: demo, name: app}
    suite: base
    seq: first
    needs: [settings]
"""
SETTINGS = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
    "data:\n  replicas: '{{ values.replicas }}'\n"
)


@pytest.fixture
def two_pinned(make_project: Callable[..., Path]) -> Path:
    return make_project(
        {
            "overlays/base/catalog.yaml": CATALOG,
            "overlays/base/versions.yaml": 'version:\n  app: "2.0.0"\n',
            "overlays/base/templates/settings/settings.yaml.j2": SETTINGS,
        }
    )


def _revisions(root: Path) -> dict[str, str]:
    files = build_tree(load_environment(root, "dev")).files
    out = {}
    for path, data in files.items():
        if path.startswith("argocd/apps/"):
            doc: dict[str, Any] = yaml.safe_load(data)
            out[doc["metadata"]["labels"]["bkgen.io/release"]] = doc["spec"]["source"][
                "targetRevision"
            ]
    return out


def test_a_change_moves_only_the_pin_of_its_release(two_pinned: Path) -> None:
    before = _revisions(two_pinned)
    assert before["namespaces"].startswith("bkgen/dev/namespaces/")
    assert before["settings"].startswith("bkgen/dev/settings/")
    assert before["app"] == "2.0.0"  # a chart Argo CD renders is pinned by its version
    assert _revisions(two_pinned) == before  # deterministic: bkgen check keeps working
    values = two_pinned / "overlays/base/values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 3"))
    after = _revisions(two_pinned)
    assert {r for r in after if after[r] != before[r]} == {"settings"}


def test_pins_can_be_turned_off(two_pinned: Path) -> None:
    env = two_pinned / "overlays/dev/env.yaml"
    env.write_text(env.read_text() + "argocd:\n  sync:\n    pinRevisions: false\n")
    assert _revisions(two_pinned)["settings"] == "main"


def _bare(tmp_path: Path) -> Path:
    path = tmp_path / "deploy.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def _tags(remote: Path) -> dict[str, str]:
    lines = git(remote, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags")
    return dict(line.split() for line in lines.splitlines())


def test_publish_creates_pins_that_keep_old_content_for_children_not_yet_handed_over(
    two_pinned: Path, tmp_path: Path
) -> None:
    remote = _bare(tmp_path)
    first = publish(
        two_pinned, ["dev"], str(remote), "main", "rendered", push=True, for_target=True
    )
    assert first.committed and len(first.tags) == 2
    old_pin = _revisions(two_pinned)["settings"]
    assert _tags(remote)[old_pin] == git(remote, "rev-parse", "main").strip()

    values = two_pinned / "overlays/base/values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 3"))
    second = publish(
        two_pinned, ["dev"], str(remote), "main", "rendered", push=True, for_target=True
    )
    new_pin = _revisions(two_pinned)["settings"]
    assert second.tags == (new_pin,)  # the unchanged release keeps its pin, no new tag

    folder = "rendered/dev/releases/settings/ConfigMap_settings.yaml"
    assert "replicas: '1'" in git(remote, "show", f"{old_pin}:{folder}")
    assert "replicas: '3'" in git(remote, "show", f"{new_pin}:{folder}")
    assert "replicas: '3'" in git(remote, "show", f"main:{folder}")

    again = publish(
        two_pinned, ["dev"], str(remote), "main", "rendered", push=True, for_target=True
    )
    assert not again.committed and again.tags == ()


def test_publish_here_tags_even_when_the_render_was_committed_by_hand(
    two_pinned: Path, tmp_path: Path
) -> None:
    from bkgen.pipeline import render_one

    git(two_pinned, "init", "-q")
    render_one(two_pinned, "dev")
    git(two_pinned, "add", "-A")
    git(two_pinned, "commit", "-qm", "render")
    result = publish(two_pinned, ["dev"], None, None, "rendered", push=False)
    assert not result.committed and len(result.tags) == 2
    assert set(git(two_pinned, "tag", "--list").split()) == set(result.tags)


def test_a_tag_never_names_other_content(two_pinned: Path) -> None:
    from bkgen.pipeline import render_one

    git(two_pinned, "init", "-q")
    render_one(two_pinned, "dev")
    target = two_pinned / "rendered/dev/releases/settings/ConfigMap_settings.yaml"
    target.write_text(target.read_text().replace("'1'", "'9'"))
    git(two_pinned, "add", "-A")
    git(two_pinned, "commit", "-qm", "hand-edited render")
    with pytest.raises(GitError, match="does not hold the content of pin"):
        pin_tags.ensure_tags(two_pinned, [two_pinned / "rendered/dev"], push=False)
