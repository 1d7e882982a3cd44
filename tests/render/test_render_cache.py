"""The render cache: a warm render is byte for byte a cold one, after any edit; an edit to one
release's own file re-renders that release alone; a changed, planted or renamed entry is
never used. Real renders of a small project, the cache in a temporary directory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from bkgen.render.cache import FORMAT

Project = Callable[..., Path]

FILES = {
    "overlays/dev/custom.yaml": "replicas: 3\n",
    "overlays/dev/app-custom-values.yaml.j2": "extra: {{ values.replicas * 2 }}\n",
    "overlays/dev/db-custom-values.yaml.j2": "size: small\n",
}


def _render(root: Path) -> dict[str, bytes]:
    return build_tree(load_environment(root, "dev")).files


def _cold(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    with monkeypatch.context() as patch:
        patch.setenv("BKGEN_CACHE_DIR", "off")
        return _render(root)


def _entries(cache: Path) -> set[Path]:
    return set((cache / "render" / FORMAT).rglob("*.json"))


def test_a_warm_render_is_the_cold_render_and_reads_only_the_cache(
    make_project: Project, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(FILES)
    first = _render(root)
    stored = _entries(cache)
    assert len(stored) == 3  # namespaces, db, app
    again = _render(root)
    assert again == first == _cold(root, monkeypatch)
    assert _entries(cache) == stored


def test_an_edit_to_one_release_renders_that_release_alone(
    make_project: Project, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(FILES)
    _render(root)
    before = _entries(cache)
    (root / "overlays/dev/db-custom-values.yaml.j2").write_text("size: large\n")
    after = _render(root)
    assert len(_entries(cache) - before) == 1
    assert after == _cold(root, monkeypatch)
    assert b"size: large" in after["releases/db/values.yaml"]
    (root / "overlays/dev/custom.yaml").write_text("replicas: 4\n")  # every release reads it
    assert _render(root) == _cold(root, monkeypatch)
    assert len(_entries(cache) - before) == 4


def test_a_changed_or_planted_entry_is_rebuilt_never_used(
    make_project: Project, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(FILES)
    cold = _render(root)
    entries = sorted(_entries(cache))
    evil = json.dumps({"m": [["kind", "ConfigMap"], ["data", {"m": [["leak", "x"]]}]]})
    for index, entry in enumerate(entries):
        mac, _, body = entry.read_bytes().partition(b"\n")
        if index == 0:  # the content changed, the MAC kept
            entry.write_bytes(mac + b"\n" + body.replace(b"namespace", b"nemaspace"))
        elif index == 1:  # another entry's bytes under this key
            entry.write_bytes(entries[2].read_bytes())
        else:  # planted: a plausible entry with a MAC made without the secret
            planted = json.loads(body)
            planted["manifests"] = [[json.loads(evil), "planted"]]
            entry.write_bytes(b"0" * 64 + b"\n" + json.dumps(planted).encode())
    assert _render(root) == cold == _cold(root, monkeypatch)
    for entry in entries:  # rebuilt: each verifies again
        mac, _, body = entry.read_bytes().partition(b"\n")
        assert json.loads(body)["key"] == entry.stem
        assert b"planted" not in body and b"nemaspace" not in body


def test_a_deleted_or_unusable_cache_only_costs_a_render(
    make_project: Project, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(FILES)
    cold = _render(root)
    (cache / "render" / "secret").write_bytes(b"short")  # not a secret bkgen made
    assert _render(root) == cold
    assert len((cache / "render" / "secret").read_bytes()) == 64
    shutil.rmtree(cache)
    assert _render(root) == cold
    assert len(_entries(cache)) == 3


EDITS = [
    ("overlays/dev/custom.yaml", "replicas: {n}\n"),
    ("overlays/dev/app-custom-values.yaml.j2", "extra: {{{{ values.replicas * {n} }}}}\n"),
    ("overlays/dev/db-custom-values.yaml.j2", "size: s{n}\nlist: [{n}, {n}]\n"),
    ("overlays/dev/app-values.yaml.j2", "host: h{n}.example.test\n"),
    (
        "overlays/base/templates/namespaces/ns.yaml.j2",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{n}\n",
    ),
    ("overlays/base/values.yaml", None),
]


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(EDITS) - 1), st.integers(1, 9)), max_size=4))
def test_after_random_edits_warm_renders_equal_cold_ones(
    make_project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edits: list[tuple[int, int]],
) -> None:
    root = make_project(FILES)
    monkeypatch.setenv("BKGEN_CACHE_DIR", str(tmp_path / "shared-cache"))
    _render(root)
    for which, n in edits:
        path, text = EDITS[which]
        target = root / path
        if text is None:
            target.write_text(target.read_text().replace("replicas: 1", f"replicas: {n}"))
        else:
            target.write_text(text.format(n=n))
        assert _render(root) == _cold(root, monkeypatch)


def test_a_no_op_render_leaves_the_tree_alone_and_any_drift_is_replaced(
    make_project: Project, cache: Path
) -> None:
    from bkgen.pipeline import render_one

    root = make_project(FILES)
    render_one(root, "dev")
    tree = root / "rendered" / "dev"
    inode = tree.stat().st_ino
    render_one(root, "dev")
    assert tree.stat().st_ino == inode  # nothing changed: no swap
    assert [p.name for p in tree.parent.iterdir() if p.name != ".dev.lock"] == ["dev"]
    for drift in ("extra", "edit", "dir", "link"):
        if drift == "extra":
            (tree / "stray.yaml").write_text("kind: ConfigMap\n")
        elif drift == "edit":
            (tree / "index.json").write_text("{}\n")
        elif drift == "dir":
            (tree / "empty").mkdir()
        else:
            (tree / "releases/db/values.yaml").unlink()
            (tree / "releases/db/values.yaml").symlink_to(tree / "index.json")
        render_one(root, "dev")
        assert tree.stat().st_ino != inode, drift
        inode = tree.stat().st_ino
        assert _render(root) == {
            p.relative_to(tree).as_posix(): p.read_bytes() for p in tree.rglob("*") if p.is_file()
        }


def test_the_real_default_env_warm_is_its_cold_render(
    repo_root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workflow steps (Hera), template sets and jinja2 templates, not only charts."""
    first = _render_env(repo_root, "default")
    assert len(_entries(cache)) > 30
    assert _render_env(repo_root, "default") == first
    with monkeypatch.context() as patch:
        patch.setenv("BKGEN_CACHE_DIR", "off")
        assert _render_env(repo_root, "default") == first


def _render_env(root: Path, name: str) -> dict[str, bytes]:
    return build_tree(load_environment(root, name)).files


def test_two_checkouts_of_the_same_inputs_share_their_entries(
    make_project: Project, cache: Path
) -> None:
    first = make_project(FILES)
    second = make_project(FILES)
    assert first != second
    made = _render(first)
    stored = _entries(cache)
    assert _render(second) == made
    assert _entries(cache) == stored
    (second / "overlays/dev/custom.yaml").write_text("replicas: 5\n")
    assert _render(second) != made
    assert len(_entries(cache) - stored) == 3
