"""The env.yaml merge of `extends:` as a property: the child's keys win, mappings merge,
the parent fills in the rest, and what names an environment is never inherited."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bkgen.overlay.extends import _inheritable, _overlay

KEYS = st.sampled_from(["a", "b", "git", "path", "argocd", "project", "description", "x"])
LEAF = st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
TREE = st.recursive(LEAF, lambda inner: st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)
DOC = st.dictionaries(KEYS, TREE, max_size=5)


def _plain(node: Any) -> Any:
    return {k: _plain(v) for k, v in node.items()} if isinstance(node, dict) else node


def _expected(parent: Any, child: Any) -> Any:
    if not (isinstance(parent, dict) and isinstance(child, dict)):
        return child
    out = {k: v for k, v in parent.items() if k not in child}
    out.update({k: _expected(parent.get(k), v) for k, v in child.items()})
    return out


@given(DOC, DOC)
def test_child_over_parent(parent: dict[str, Any], child: dict[str, Any]) -> None:
    inherited = _inheritable(parent)
    merged = _plain(dict(_overlay(inherited, child)))
    assert merged == _expected(_plain(inherited), child)
    for key, value in child.items():  # the child's own scalars and lists always win
        if not isinstance(value, dict):
            assert merged[key] == value


@given(DOC)
def test_identity_keys_are_not_inherited(parent: dict[str, Any]) -> None:
    inherited = _inheritable(parent)
    assert "description" not in inherited and "extends" not in inherited
    for section, key in (("git", "path"), ("argocd", "project")):
        if isinstance(inherited.get(section), dict):
            assert key not in inherited[section]
