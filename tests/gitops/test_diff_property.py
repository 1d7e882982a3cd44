"""Property: random edits of a real rendered tree are reported iff they change something,
at the right resource and path — Secret data, credential env vars and Helm values included."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bkgen.diff.compare import diff_trees, segment
from bkgen.diff.formats import RENDERERS, DiffReport, RenderOptions
from bkgen.diff.model import Key, Resource, load_tree
from tests.conftest import REPO

_EXTRA = {
    ("", "Secret", "blueking", "planted"): {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "planted", "namespace": "blueking"},
        "data": {"password": "aHVudGVyMg==", "user": "cm9vdA=="},
        "stringData": {"token": "t0ken"},
    },
    ("apps", "Deployment", "blueking", "planted"): {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "planted", "namespace": "blueking"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "web:1",
                            "env": [
                                {"name": "DB_PASSWORD", "value": "pw"},
                                {"name": "DB_HOST", "value": "mysql"},
                            ],
                            "args": ["--a", "--b", "--a"],
                        }
                    ]
                }
            }
        },
    },
}


def _tree() -> dict[Key, Resource]:
    tree = load_tree(REPO / "rendered" / "default")
    for key, body in _EXTRA.items():
        tree[key] = Resource(key, f"releases/planted/{key[1]}.yaml", body)
    return tree


TREE = _tree()
KEYS = sorted(TREE)
_IDENTITY = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}
_SCALARS = st.one_of(
    st.integers(-5, 5), st.booleans(), st.none(), st.text("ab\n=:", max_size=6), st.just("1")
)


def _segment(container: Any, step: Any) -> str:
    if isinstance(container, list):
        names = [i.get("name") if isinstance(i, dict) else None for i in container]
        if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
            return f"[{container[step]['name']}]"
        return f"[{step}]"
    return segment(step)


@st.composite
def edits(draw: st.DrawFn) -> tuple[Key, dict[str, Any], str, str, bool]:
    """(resource, edited body, expected path, list path, structural) for one random edit."""
    key = draw(st.sampled_from(KEYS))
    body = copy.deepcopy(dict(TREE[key].body))
    node: Any = body
    raw: list[Any] = []
    segs: list[str] = []
    while True:
        steps = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not steps:
            break
        step = draw(st.sampled_from(sorted(steps, key=str)))
        child = node[step]
        if (*raw, step) in _IDENTITY:
            break
        raw.append(step)
        segs.append(_segment(node, step))
        if not isinstance(child, dict | list) or not child or draw(st.integers(0, 3)) == 0:
            break
        node = child
    if not raw:
        step = "bkgenTestAdded"
        raw, segs = [step], [step]
    parent: Any = body
    for step in raw[:-1]:
        parent = parent[step]
    last = raw[-1]
    structural = isinstance(parent, list) or last == "name"
    action = draw(st.sampled_from(["set", "delete", "add"]))
    if last == "bkgenTestAdded":
        action = "set"
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        new_key = draw(st.sampled_from(["zz", "password", "value"]))
        parent[new_key] = draw(_SCALARS)
        segs = [*segs[:-1], segment(new_key)]
    elif action == "delete" and isinstance(parent, list) and len(parent) > 1:
        del parent[last]
        structural = True
    else:
        parent[last] = draw(_SCALARS)
    path = "".join(s if s.startswith("[") or i == 0 else f".{s}" for i, s in enumerate(segs))
    up = segs[:-2] if last == "name" and not isinstance(parent, list) else segs[:-1]
    list_path = "".join(s if s.startswith("[") or i == 0 else f".{s}" for i, s in enumerate(up))
    return key, body, path, list_path, structural


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@given(edits())
def test_an_edit_is_reported_iff_it_changes_the_tree(
    edit: tuple[Key, dict[str, Any], str, str, bool],
) -> None:
    key, body, path, list_path, structural = edit
    edited = {**TREE, key: Resource(key, TREE[key].path, body)}
    result = diff_trees(TREE, edited, ignore=())
    if _same(TREE[key].body, body):
        assert result.empty and not result.differs
        return
    assert not result.empty
    assert {r.key for r in result.resources} == {key}
    (item,) = result.resources
    paths = [c.path for c in item.changes]
    if structural:
        assert any(p.startswith(list_path) for p in paths), (paths, list_path)
    else:
        assert (
            any(p == path or p.startswith(path + ".") or p.startswith(path + "[") for p in paths)
            or path in paths
        ), (paths, path)
    # Every renderer copes with every edit and names the resource.
    report = DiffReport([result])
    for name, render in RENDERERS.items():
        text = render(report, RenderOptions())
        assert item.label.split(" (")[0] in text or name == "json"
    data = json.loads(RENDERERS["json"](report, RenderOptions()))
    shown = [
        c["path"]
        for a in data["environments"][0]["applications"]
        for r in a["resources"]
        for c in r["changes"]
    ]
    assert shown == paths


def test_identical_trees_have_no_diff() -> None:
    assert not diff_trees(
        TREE, {k: Resource(k, v.path, copy.deepcopy(dict(v.body))) for k, v in TREE.items()}
    ).differs


def test_a_renamed_resource_is_named() -> None:
    key = ("", "Secret", "blueking", "planted")
    body = copy.deepcopy(_EXTRA[key])
    body["metadata"]["name"] = "planted-v2"
    new_key = ("", "Secret", "blueking", "planted-v2")
    edited = {k: v for k, v in TREE.items() if k != key}
    edited[new_key] = Resource(new_key, "x.yaml", body)
    (item,) = diff_trees(TREE, edited).resources
    assert item.status == "renamed" and item.old_label == "Secret blueking/planted"
