"""Edit overlay files in place, the way a person would: comments, order and quoting kept.

`set` writes global values into `overlays/<env>/custom.yaml`; `bump` pins a chart
version in `versions.yaml` (the runbook's `sed -i 's/bk-nodeman: "2.3.5"/.../'`).
Every edit is checked by loading the environment again; if that fails the file
is restored byte for byte and the error is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from bkgen.errors import BkgenError, Location, OverlayError, UsageError, display_path
from bkgen.overlay import file_schemas
from bkgen.overlay.catalog import load_catalog
from bkgen.overlay.load import load_environment
from bkgen.overlay.merge import format_key_path, parse_key_path
from bkgen.overlay.names import list_environments, require_environment
from bkgen.overlay.platforms import env_platform_dir, values_schema
from bkgen.write.atomic_file import replace_file
from bkgen.yamlio import dump_round_trip, position, round_trip

VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _yaml() -> YAML:
    return round_trip(indent=(2, 4, 2))


def _load(path: Path) -> Any:
    if not path.is_file():
        return CommentedMap()
    data = _yaml().load(path.read_text(encoding="utf-8"))
    return CommentedMap() if data is None else data


def _dump(data: Any) -> str:
    return dump_round_trip(_yaml(), data)


def _edit(root: Path, path: Path, change: Callable[[Any], None], env: str | None) -> None:
    """Apply `change`, write, re-validate; restore the original bytes on any error."""
    original = path.read_bytes() if path.is_file() else None
    data = _load(path)
    change(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, _dump(data).encode())
    try:
        for name in [env] if env else list_environments(root):
            load_environment(root, name)
    except BkgenError:
        if original is None:
            path.unlink()
        else:
            replace_file(path, original)
        raise


def _same_quotes(old: Any, new: str) -> Any:
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    return DoubleQuotedScalarString(new)  # versions are strings: quote them like the runbook


def _known(base: Any, custom: Any, path: tuple[str, ...]) -> bool:
    for tree in (base, custom):
        node = tree
        for part in path:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return True
    return False


def parse_assignment(text: str) -> tuple[tuple[str, ...], Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise UsageError(f"expected KEY=VALUE, got {text!r}")
    try:
        path = parse_key_path(key)
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise UsageError(f"cannot parse value of {key}: {raw!r}") from None
    return path, value


def set_values(root: Path, env: str, assignments: Sequence[str]) -> Path:
    """Write KEY=VALUE assignments into ENV's custom.yaml.

    Each value is checked against the global values schema before anything is written, so
    a refused value names the assignment the user typed and leaves the file as it was.
    """
    require_environment(root, env)
    path = root / "overlays" / env / "custom.yaml"
    platform = env_platform_dir(root, env)
    base_path = platform / "values.yaml"
    base, shown = _load(base_path), display_path(base_path, root)
    typed = values_schema(root, platform)
    parsed = [parse_assignment(a) for a in assignments]

    def change(data: Any) -> None:
        for text, (key, value) in zip(assignments, parsed, strict=True):
            if not _known(base, data, key):
                raise UsageError(
                    f"unknown key '{format_key_path(key)}' (not in {shown})",
                    hint="add it to base values first",
                )
            node = data
            for part in key[:-1]:
                if part not in node or not isinstance(node[part], dict):
                    node[part] = CommentedMap()
                node = node[part]
            old = node.get(key[-1])
            node[key[-1]] = (
                _same_quotes(old, value)
                if isinstance(value, str)
                and isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString)
                else value
            )
            _check_typed(root, data, text, path, typed)

    _edit(root, path, change, env)
    return path


def _check_typed(root: Path, data: Any, assignment: str, path: Path, schema: Path) -> None:
    """The document as it would be written, against the platform's values schema; before
    any write."""
    shown = display_path(path, root)
    try:
        file_schemas.check(data, schema, shown, root)
    except OverlayError as err:
        raise UsageError(
            f"refused {assignment}: {err.message}; {shown} is unchanged", hint=err.hint
        ) from None


@dataclass(frozen=True)
class Bump:
    """What `bump` changed: the file, the pin it replaced there, and the pin it now overrides."""

    path: Path
    previous: str  # the pin in `path` before ("" when the file had none)
    overrides: str  # the base pin an env pin now shadows ("" for a base bump or none)
    overrides_at: str  # file:line of that base pin


def bump(root: Path, release: str, version: str, env: str | None = None) -> Bump:
    """Pin `release` to `version` in the platform's versions.yaml, or in ENV's when `env`
    is given."""
    if env is not None:
        require_environment(root, env)
    catalog = load_catalog(root, env_platform_dir(root, env) if env is not None else None)
    entry = catalog.release(release)
    if entry.source != "chart":
        raise UsageError(f"'{release}' is not a chart release; it has no version")
    if not VERSION.match(version):
        raise UsageError(f"invalid version {version!r} (expected e.g. 2.4.4 or 2.1.2-beta.20)")
    path = root / "overlays" / (env or "base") / "versions.yaml"
    previous: list[str] = []

    def change(data: Any) -> None:
        if "version" not in data or data["version"] is None:
            data["version"] = CommentedMap()
        pins = data["version"]
        previous.append(str(pins.get(release, "")))
        pins[release] = _same_quotes(pins.get(release), version)

    overrides, overrides_at = ("", "") if env is None else _base_pin(root, release, env)
    try:
        _edit(root, path, change, env)
    except OverlayError as err:
        raise OverlayError(
            err.message, location=err.location or Location(display_path(path, root)), hint=err.hint
        ) from None
    return Bump(path, previous[0], overrides, overrides_at)


def _base_pin(root: Path, release: str, env: str) -> tuple[str, str]:
    """The pin of `release` in ENV's platform and its file:line, or empty strings."""
    path = env_platform_dir(root, env) / "versions.yaml"
    pins = (_load(path) or {}).get("version") or {}
    if release not in pins:
        return "", ""
    where = position(pins, release)
    shown = display_path(path, root)
    return str(pins[release]), f"{shown}:{where[0]}" if where else shown
