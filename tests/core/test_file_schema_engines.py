"""The overlay checks answer with jsonschema-rs first and fall back to jsonschema (Python)
only when it refuses a file (`overlay/file_schemas.py`). That is sound only while the two
engines give the same verdict, so they are held to it: on every overlay file of this
repository, and on mutations of each that a user could write (a wrong type, an unknown key,
a string where a mapping belongs, a value out of a bound)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bkgen.kube.compile_schema import compile_native, compile_python
from bkgen.overlay.file_schemas import schema_dir
from bkgen.overlay.platforms import env_platform_dir, values_schema
from bkgen.yamlio import load_file, to_plain
from tests.conftest import REPO

SCHEMAS = schema_dir(REPO)


def _schema_of(path: Path) -> Path | None:
    rel = path.relative_to(REPO / "overlays")
    name = path.name
    if name in ("env.yaml", "versions.yaml", "bcs.yaml"):
        return SCHEMAS / f"{name.removesuffix('.yaml')}.schema.json"
    if name == "catalog.yaml":
        top = rel.parts[0]
        return SCHEMAS / ("catalog.schema.json" if top in ("base", "platforms") else
                          "env-catalog.schema.json")  # fmt: skip
    if name in ("values.yaml", "custom.yaml"):  # each platform types its own values
        top = rel.parts[0]
        if top == "platforms":
            platform = REPO / "overlays" / "platforms" / rel.parts[1]
        elif top == "base":
            platform = REPO / "overlays" / "base"
        else:
            platform = env_platform_dir(REPO, top)
        return values_schema(REPO, platform)
    return None


def _documents() -> list[Any]:
    found = []
    for path in sorted((REPO / "overlays").rglob("*.yaml")):
        schema = _schema_of(path)
        if schema is not None and "templates" not in path.parts:
            shown = path.relative_to(REPO).as_posix()
            found.append(pytest.param(shown, schema, to_plain(load_file(path)), id=shown))
    return found


def _mutations(document: Any) -> Iterator[Any]:
    """Each top-level key in turn made wrong in the ways users get it wrong."""
    if not isinstance(document, dict):
        return
    yield {**document, "unknownKey": 1}
    for key, value in document.items():
        for wrong in ("2", 2.5, -1, 70000, [], {"x": 1}, True, "x$(id)"):
            if wrong == value:
                continue
            mutated = copy.deepcopy(document)
            mutated[key] = wrong
            yield mutated
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                for wrong in ("abc", -5, {"y": 2}):
                    if wrong != inner_value:
                        mutated = copy.deepcopy(document)
                        mutated[key][inner] = wrong
                        yield mutated


@pytest.mark.parametrize(("shown", "schema_path", "document"), _documents())
def test_both_engines_give_the_same_verdict(shown: str, schema_path: Path, document: Any) -> None:
    schema = json.loads(schema_path.read_text())
    native = compile_native(schema, shown)
    python = compile_python(schema, shown)
    assert native.is_valid(document), f"{shown}: the shipped file must pass"
    checked = 0
    for mutated in _mutations(document):
        fast = native.is_valid(mutated)
        slow = python.is_valid(mutated)
        assert fast == slow, (shown, json.dumps(mutated)[:300])
        checked += 1
    assert checked > 0 or not isinstance(document, dict)
