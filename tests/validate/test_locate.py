"""`loader.locate` walks libyaml's events instead of composing a node tree: it names the
same line and column as a composed tree does for every path of real rendered documents and
for paths that run past what exists; through an alias it names the alias."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bkgen.validate.loader import Chunk, locate, split
from tests.conftest import REPO


def _composed(chunk: Chunk, path: tuple[Any, ...]) -> tuple[int, int]:
    """The reference: the position a composed tree gives (what locate did before)."""
    node = yaml.compose(chunk.text, Loader=yaml.SafeLoader)
    if node is None:
        return chunk.line, 1
    mark = node.start_mark
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    mark, node = key_node.start_mark, value_node
                    break
            else:
                break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return chunk.line + mark.line, mark.column + 1


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
        yield (*here, "no-such-key", "deeper")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*here, index))
        yield (*here, len(node))


def test_events_and_a_composed_tree_agree_on_every_path() -> None:
    files = sorted((REPO / "rendered" / "default").rglob("*.yaml"))[:60]
    files += sorted((REPO / "tests" / "workflows" / "golden").glob("*.yaml"))
    compared = 0
    for path in files:
        for chunk in split(str(path), path.read_text(encoding="utf-8")):
            document = yaml.safe_load(chunk.text)
            for key_path in _paths(document):
                assert locate(chunk, key_path) == _composed(chunk, key_path), (path, key_path)
                compared += 1
    assert compared > 3000


def test_complex_keys_anchors_and_flow_style(tmp_path: Path) -> None:
    text = "a: &x {b: [1, {c: 2}]}\n? [k1, k2]\n: ignored\nd: *x\ne:\n- - f: 3\n"
    [chunk] = split("t.yaml", text)
    for key_path in [("a", "b", 1, "c"), ("d",), ("e", 0, 0, "f"), ("zz",), ()]:
        assert locate(chunk, key_path) == _composed(chunk, key_path), key_path
    # Through an alias the events name the alias (where the value is used); a composed tree
    # named the anchor's definition. bkgen's own output never holds aliases.
    assert locate(chunk, ("d", "b")) == (4, 1)
