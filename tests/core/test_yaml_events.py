"""The tree built from libyaml's events is the tree ruamel builds: same types, same positions.

ruamel itself is the reference: every YAML file of the project, a set of tricky snippets and
random documents are loaded both ways and compared node by node (type, value, line/column
records). The bounds keep their messages and lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bkgen.errors import OverlayError
from bkgen.yamlio import load_text
from bkgen.yamlio.events import MAX_EXPANDED_NODES, build

REPO = Path(__file__).resolve().parents[2]


def _ruamel(text: str) -> Any:
    return YAML(typ="rt").load(text)


def _same(ours: Any, theirs: Any, where: str = "$") -> None:
    assert type(ours) is type(theirs), where
    if isinstance(ours, CommentedMap | CommentedSeq):
        assert (ours.lc.line, ours.lc.col) == (theirs.lc.line, theirs.lc.col), where
        assert (ours.lc.data or {}) == (theirs.lc.data or {}), where
        if isinstance(ours, CommentedMap):
            assert list(ours) == list(theirs), where
            for key in ours:
                _same(ours[key], theirs[key], f"{where}.{key}")
        else:
            assert len(ours) == len(theirs), where
            for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
                _same(a, b, f"{where}[{index}]")
    else:
        assert ours == theirs or repr(ours) == repr(theirs), where  # TaggedScalar has no ==


def _project_yaml() -> list[Path]:
    return sorted(
        p
        for top in ("overlays", "schemas", "examples", "tests")
        for p in (REPO / top).rglob("*.y*ml")
        if p.suffix in (".yaml", ".yml")
    )


def test_every_yaml_file_of_the_project_builds_as_ruamel_builds_it() -> None:
    built = 0
    for path in _project_yaml():
        text = path.read_text(encoding="utf-8")
        try:
            theirs = _ruamel(text)
        except Exception:  # a template before rendering: not YAML yet
            continue
        ours, complete = build(text, str(path), OverlayError)
        if complete:
            built += 1
            _same(ours, theirs, str(path.relative_to(REPO)))
    assert built > 30


SNIPPETS = [
    "a:\n- \n- x\n-\nb: 1\n",
    "a: &x 1\nb: *x\n",
    "a: &m {x: 1}\nb: *m\nc: [*m, *m]\n",
    "a: 0o17\nb: 017\nc: 1_000\nd: .5\ne: 1e3\nf: .inf\ng: 0\nh: -1\ni: +1\nj: 0x1f\n",
    "a: 2001-12-14t21:59:43.10-05:00\nb: 2024-01-01\n",
    "t: True\nf: FALSE\nn: Null\nx: ~\ny: yes\nz: on\n",
    "- |\n  a\n  b\n- >-\n  a\n  b\n- |+\n  c\n\n",
    "a: 'x'\nb: \"y\\n\"\nc: '1'\n",
    "",
    "---\n",
    "# only a comment\n",
    "- - - 1\n",
    "{a: 1, b: [2, 3], c: {d: null}}\n",
    "a:\n  b:\n  c:\nd: 1\n",
    "k: v # comment\nl: w\n",
    "1: a\n2: b\nnull: c\n",
    "a: &e\nb: *e\n",
    "a: 'multi\n  line'\nb: plain\n  continued\n",
    # an empty value before an explicit key: ruamel places it one column after the `?`
    "'0':\n? \" \\N\"\n: []\n",
    "x:\n  a:\n  ?  b\n  : c\n",
    "a:\n?\n  b\n: c\n",  # the key a line below its `?`
    "a:\n? # c\n\n  b\n: c\n",
    "a:\n\n# x\n? b\n: c\n",
    # a comment after an empty value: ruamel keeps the value where it is
    "a: # x\n\nb: 1\nc:\n  d:   # y\n  e:\n",
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_tricky_snippets_build_as_ruamel_builds_them(text: str) -> None:
    ours, complete = build(text, "x.yaml", OverlayError)
    assert complete
    _same(ours, _ruamel(text))


@pytest.mark.parametrize(
    "text",
    [
        "? [a]\n: 1\n",
        "a: !!str 1\n",
        "<<: {a: 1}\nb: 2\n",
        "%YAML 1.1\n---\na: yes\n",
        "a: =\n",
        "a: 1\n---\nb: 2\n",
        "a: [1, , 2]\n",
    ],
)
def test_what_ruamel_must_build_is_left_to_it_and_still_loads_as_before(text: str) -> None:
    assert build(text, "x.yaml", OverlayError) == (None, False)
    try:
        expected: Any = _ruamel(text)
    except Exception:
        with pytest.raises(OverlayError):
            load_text(text, "x.yaml")
        return
    _same(load_text(text, "x.yaml"), expected)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=6), inner)
    ),
    max_leaves=25,
)


@given(_documents, st.sampled_from([None, True]))
def test_random_documents_build_as_ruamel_builds_them(data: Any, flow: bool | None) -> None:
    import io

    writer = YAML(typ="rt")
    writer.default_flow_style = flow
    stream = io.StringIO()
    writer.dump(data, stream)
    text = stream.getvalue()
    ours, complete = build(text, "x.yaml", OverlayError)
    if complete:
        _same(ours, _ruamel(text))


def test_two_spellings_of_one_key_name_both_lines() -> None:
    with pytest.raises(
        OverlayError, match=r"x\.yaml:3:1: .*duplicate key 'True' \(lines 1 and 3\)"
    ):
        load_text("true: 1\nb: 2\nTrue: 3\n", "x.yaml")


def test_an_alias_bomb_is_refused_without_building_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(OverlayError, match=f"more than {MAX_EXPANDED_NODES} nodes"):
        load_text("\n".join(lines) + "\n", "bomb.yaml")


def test_a_recursive_alias_and_deep_nesting_are_refused_at_their_line() -> None:
    with pytest.raises(OverlayError, match=r"x\.yaml:2:11: .*recursive YAML alias \*a"):
        load_text("b: 1\na: &a {b: *a}\n", "x.yaml")
    with pytest.raises(OverlayError, match=r"x\.yaml:1:\d+: .*nesting deeper than 100 levels"):
        load_text("k: " + "[" * 150 + "]" * 150 + "\n", "x.yaml")


@pytest.mark.parametrize("text", ["a: ! 1\n", "a: !!int '1'\n", "a: !custom {b: 1}\n", "! [1]\n"])
def test_any_explicit_tag_is_left_to_ruamel(text: str) -> None:
    assert build(text, "x.yaml", OverlayError) == (None, False)
