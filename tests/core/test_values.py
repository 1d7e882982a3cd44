"""Deep merge with provenance: Helm semantics and the origin chain."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkgen.overlay.merge import (
    Layer,
    format_key_path,
    lookup,
    merge_layers,
    merge_plain,
    parse_key_path,
)
from bkgen.yamlio import load_text


def test_mappings_merge_lists_replace_null_deletes() -> None:
    base = load_text("a:\n  b: 1\n  c: [1, 2]\n  d: x\ne: 5\n", "base.yaml")
    over = load_text("a:\n  c: [3]\n  d: null\nf: 6\n", "over.yaml")
    merged = merge_layers([Layer("base.yaml", base), Layer("over.yaml", over)])
    assert merged.values == {"a": {"b": 1, "c": [3]}, "e": 5, "f": 6}


def test_provenance_records_file_and_line_in_layer_order() -> None:
    base = load_text("x:\n  y: 1\n", "base.yaml")
    over = load_text("# comment\nx:\n  y: 2\n", "over.yaml")
    merged = merge_layers([Layer("base.yaml", base), Layer("over.yaml", over)])
    chain = [(path, str(origin)) for path, origin in merged.chain(("x", "y"))]
    assert chain == [(("x", "y"), "base.yaml:2"), (("x", "y"), "over.yaml:3")]


def test_replacing_a_mapping_forgets_the_old_children() -> None:
    base = load_text("x:\n  y: 1\n", "base.yaml")
    over = load_text("x: flat\n", "over.yaml")
    merged = merge_layers([Layer("base.yaml", base), Layer("over.yaml", over)])
    assert merged.values == {"x": "flat"}
    assert ("x", "y") not in merged.provenance


def test_line_mapper_translates_rendered_lines() -> None:
    doc = load_text("a: 1\nb: 2\n", "r.yaml")
    merged = merge_layers([Layer("t.j2", doc, lambda line: line + 10)])
    assert [str(o) for _, o in merged.chain(("b",))] == ["t.j2:12"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("a.b.c", ("a", "b", "c")),
        ('metadata.annotations["a.b/c"]', ("metadata", "annotations", "a.b/c")),
        ("single", ("single",)),
    ],
)
def test_key_paths_round_trip(text: str, path: tuple[str, ...]) -> None:
    assert parse_key_path(text) == path
    assert parse_key_path(format_key_path(path)) == path


def test_bad_key_path_is_refused() -> None:
    with pytest.raises(ValueError, match="empty key path"):
        parse_key_path("...")


def test_lookup_names_the_missing_segment() -> None:
    with pytest.raises(KeyError, match=r"a\.x"):
        lookup({"a": {"b": 1}}, ("a", "x", "y"))


_keys = st.sampled_from(["a", "b", "c", "d"])
_scalars = st.one_of(st.integers(), st.text(max_size=3), st.booleans())
_trees = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=3),
    lambda children: st.dictionaries(_keys, st.one_of(_scalars, children), max_size=3),
    max_leaves=12,
)


@given(_trees, _trees)
def test_merge_plain_matches_layered_merge(a: dict[str, Any], b: dict[str, Any]) -> None:
    """The provenance merge and the plain merge agree on every input."""
    layered = merge_layers([Layer("a", a), Layer("b", b)]).values
    assert layered == merge_plain(a, b)


@given(_trees)
def test_merge_is_idempotent(a: dict[str, Any]) -> None:
    assert merge_plain(a, a) == a


@given(_trees, _trees)
def test_later_layer_wins_for_every_leaf(a: dict[str, Any], b: dict[str, Any]) -> None:
    merged = merge_plain(a, b)

    def leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
        out: dict[tuple[str, ...], Any] = {}
        for key, value in tree.items():
            if isinstance(value, dict) and value:
                out.update(leaves(value, (*prefix, key)))
            else:
                out[(*prefix, key)] = value
        return out

    for path, value in leaves(b).items():
        if isinstance(value, dict):
            continue
        assert lookup(merged, path) == value
