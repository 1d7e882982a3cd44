"""The no-op render (`render.stamp`): with nothing read changed, `bkgen render` and `bkgen
check` answer from the stamp without rendering; any change to anything a render reads, or
to the tree in place, sends them to the full render. Real renders of a small project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.pipeline import render_one
from bkgen.render import stamp
from bkgen.render.cache import open_cache

Project = Callable[..., Path]

FILES = {
    "overlays/dev/custom.yaml": "replicas: 3\n",
    "argo/__init__.py": "",
    "overlays/other/env.yaml": "name: other\nrepoURL: https://git.example.test/gitops.git\n",
}


@pytest.fixture
def project(make_project: Project, cache: Path) -> Path:
    root = make_project(FILES)
    render_one(root, "dev")
    return root


def test_nothing_changed_is_answered_by_the_stamp_with_the_same_summary(project: Path) -> None:
    first = render_one(project, "dev")  # the tree was in place: stamped again, not swapped
    assert stamp.fresh(project, "dev") == first


CHANGES: dict[str, Callable[[Path], object]] = {
    "a values file": lambda r: (r / "overlays/dev/custom.yaml").write_text("replicas: 4\n"),
    "a new file in the env": lambda r: (r / "overlays/dev/notes.txt").write_text("x\n"),
    "an empty folder in the env": lambda r: (r / "overlays/dev/templatesets").mkdir(),
    "the base": lambda r: (r / "overlays/base/values.yaml").write_text(
        (r / "overlays/base/values.yaml").read_text() + "# edited\n"
    ),
    "the policy": lambda r: (r / "overlays/base/policy.yaml").write_text(
        (r / "overlays/base/policy.yaml").read_text() + "\n# edited\n"
    ),
    "a step": lambda r: (r / "argo/__init__.py").write_text("# edited\n"),
    "a schema": lambda r: next((r / "schemas").rglob("*.json")).write_text("{}"),
    "a rendered file": lambda r: (r / "rendered/dev/index.json").write_text("{}"),
    "a file added to the tree": lambda r: (r / "rendered/dev/extra.yaml").write_text("a: 1\n"),
    "a file removed from the tree": lambda r: (r / "rendered/dev/index.json").unlink(),
    "a folder added to the tree": lambda r: (r / "rendered/dev/empty").mkdir(),
    # only argo/'s Python cache is not an input: elsewhere it is read like any folder
    "a __pycache__ in the env": lambda r: (r / "overlays/dev/__pycache__").mkdir(),
    "rendered/ made a link": lambda r: (
        (r / "rendered").rename(r / "rendered-real"),
        (r / "rendered").symlink_to(r / "rendered-real"),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_to_what_the_render_reads_or_wrote_is_no_longer_fresh(
    project: Path, change: str
) -> None:
    assert stamp.fresh(project, "dev") is not None
    CHANGES[change](project)
    assert stamp.fresh(project, "dev") is None


def test_a_limit_or_another_renderer_is_no_longer_fresh(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BKGEN_MAX_DEPTH", "50")
    assert stamp.fresh(project, "dev") is None
    monkeypatch.delenv("BKGEN_MAX_DEPTH")
    assert stamp.fresh(project, "dev") is not None
    monkeypatch.setattr(stamp.identity, "code", lambda: "another bkgen")
    assert stamp.fresh(project, "dev") is None


def test_another_environment_s_edit_leaves_the_stamp_fresh(project: Path) -> None:
    (project / "overlays/other/env.yaml").write_text("name: other\n# edited\n")
    assert stamp.fresh(project, "dev") is not None


def test_an_edited_or_planted_stamp_is_removed_never_believed(project: Path) -> None:
    store = open_cache()
    assert store is not None
    where = stamp._where(store, project, "dev")
    mac, _, body = where.read_bytes().partition(b"\n")
    kept = json.loads(body)
    kept["summary"]["warnings"] = ["planted"]
    where.write_bytes(mac + b"\n" + json.dumps(kept, sort_keys=True).encode())
    assert stamp.fresh(project, "dev") is None
    assert not where.exists()


def test_inputs_changed_during_the_render_make_no_stamp(project: Path) -> None:
    before = stamp.signature(project)
    summary = render_one(project, "dev")
    assert stamp.prepare(project, summary, before, ["overlays/dev"], [], {}) is not None
    (project / "overlays/dev/custom.yaml").write_text("replicas: 5\n")  # while it ran
    assert stamp.prepare(project, summary, before, ["overlays/dev"], [], {}) is None


def test_a_link_among_the_inputs_is_never_fresh(project: Path) -> None:
    (project / "overlays/dev/linked.txt").symlink_to(project / "overlays/dev/custom.yaml")
    assert stamp.signature(project) is None
    assert stamp.fresh(project, "dev") is None


def test_render_and_check_answer_from_the_stamp_without_the_pipeline(project: Path) -> None:
    runner = CliRunner()
    cold = runner.invoke(cli, ["render", "dev", "-o", "json", "--root", str(project)])
    assert cold.exit_code == 0, cold.output
    code = (
        "import sys; from bkgen.cli import main; sys.argv = ['bkgen'] + sys.argv[1:]\n"
        "try:\n    main()\nfinally:\n"
        "    print('PIPELINE' if 'bkgen.pipeline' in sys.modules else 'NO-PIPELINE',"
        " file=sys.stderr)\n"
    )
    for args in (["render", "dev", "-o", "json"], ["check", "dev"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *args, "--root", str(project)],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().endswith("NO-PIPELINE"), done.stderr
        if args[0] == "render":
            assert json.loads(done.stdout) == json.loads(cold.output)
        else:
            assert "rendered/dev: up to date" in done.stdout
    (project / "rendered/dev/index.json").write_text("{}")
    stale = runner.invoke(cli, ["check", "dev", "--root", str(project)])
    assert stale.exit_code == 1
    assert "differ from a fresh render" in stale.output


def test_check_reports_environments_in_their_order_stamped_or_not(
    make_project: Project, cache: Path
) -> None:
    from tests.conftest import MINIMAL_ENV

    root = make_project({"overlays/prod/env.yaml": MINIMAL_ENV})
    render_one(root, "dev")
    render_one(root, "prod")
    stamp.forget(root, "dev")  # dev is rendered afresh, prod answered by its stamp
    done = CliRunner().invoke(cli, ["check", "dev", "prod", "--root", str(root)])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == ["rendered/dev: up to date", "rendered/prod: up to date"]


def test_a_project_without_its_own_crd_schemas_gets_no_stamp(
    make_project: Project, cache: Path
) -> None:
    """Its validation reads CRD schemas from elsewhere (the working directory or bkgen's
    own): nothing the stamp can vouch for."""
    import shutil

    root = make_project(FILES)
    shutil.rmtree(root / "schemas" / "crds")
    render_one(root, "dev")
    assert stamp.fresh(root, "dev") is None
