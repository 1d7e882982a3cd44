"""File naming, path safety and the atomic swap of rendered trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bkgen.errors import OutputError
from bkgen.write.output import Placed, check_relative, file_names, index
from bkgen.write.rendered_dir import replace_tree


def _obj(kind: str, name: str, namespace: str | None = None, api: str = "v1") -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def test_names_are_kind_and_name_widened_only_on_collision() -> None:
    placed = [
        Placed("releases/a", _obj("Service", "web", "x"), "s1"),
        Placed("releases/a", _obj("Service", "web", "y"), "s2"),
        Placed("releases/a", _obj("ClusterRole", "system:agg"), "s3"),
    ]
    names = sorted(file_names(placed))
    assert names == [
        "releases/a/ClusterRole_system-agg.yaml",
        "releases/a/Service.core_x_web.yaml",
        "releases/a/Service.core_y_web.yaml",
    ]


def test_true_duplicates_are_an_error_naming_both_sources() -> None:
    placed = [
        Placed("releases/a", _obj("Service", "web", "x"), "first.yaml"),
        Placed("releases/a", _obj("Service", "web", "x"), "second.yaml"),
    ]
    with pytest.raises(
        OutputError, match=r"duplicate object Service x/web from first.yaml and second.yaml"
    ):
        file_names(placed)


@pytest.mark.parametrize("path", ["../x.yaml", "/etc/passwd", "a/../../b", "a\\b", ""])
def test_paths_outside_the_tree_are_refused(path: str) -> None:
    with pytest.raises(OutputError, match="refusing to write outside"):
        check_relative(path)


def test_swap_replaces_and_removes_stale_files(tmp_path: Path) -> None:
    dest = tmp_path / "rendered" / "dev"
    replace_tree({"a.yaml": b"1\n", "old/b.yaml": b"2\n"}, dest)
    replace_tree({"a.yaml": b"3\n"}, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "a.yaml"
    ]
    assert (dest / "a.yaml").read_bytes() == b"3\n"
    assert [p.name for p in dest.parent.iterdir()] == ["dev"], "no temp dirs left behind"


def test_failed_write_leaves_previous_tree_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "rendered" / "dev"
    replace_tree({"a.yaml": b"1\n"}, dest, tmp_path)
    # `a.yaml` as a file and as a directory: the second write fails half-way.
    with pytest.raises(OutputError) as err:
        replace_tree({"a.yaml": b"new\n", "a.yaml/b.yaml": b"x\n"}, dest, tmp_path)
    assert "rendered/dev/a.yaml/b.yaml: output error: cannot write the rendered tree" in str(
        err.value
    )
    assert str(tmp_path) not in str(err.value)
    assert (dest / "a.yaml").read_bytes() == b"1\n"
    assert [p.name for p in dest.parent.iterdir()] == ["dev"]


def test_index_lists_inputs_and_files_without_timestamps() -> None:
    data = json.loads(index({"b": b"x", "a": b"y"}, {"overlays/x": "00"}, {"env": "dev"}))
    assert list(data["files"]) == ["a", "b"]
    assert data["env"] == "dev" and len(data["inputDigest"]) == 64
    assert set(data) == {"env", "files", "inputDigest", "inputs"}


def test_long_object_names_make_bounded_unique_file_names(tmp_path: Path) -> None:
    long_a = "a" * 240 + "-one"
    long_b = "a" * 240 + "-two"
    names = file_names(
        [Placed("releases/x", _obj("ConfigMap", n, "ns"), "t") for n in (long_a, long_b)]
    )
    assert len(names) == 2
    for name in names:
        assert len(Path(name).name.encode()) <= 200
    replace_tree(
        dict.fromkeys(names, b"x\n"), tmp_path / "rendered" / "dev", tmp_path
    )  # no ENAMETOOLONG
