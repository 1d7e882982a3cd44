"""Kubernetes versions: which ones bkgen can validate, and which ones BlueKing supports.

Two different ranges, and users need to hear about both: the bundled strict schemas of
`kubernetes-validate` decide what bkgen can check at all (an error when outside), the
catalog's `kubeVersions` (BlueKing 7.1: 1.20–1.23) decides what the platform was tested on
(a warning when outside). Suggestions only name versions that pass both.

It also owns where the bundled schemas are (`bundled_dir`, `file_stem`, `definitions`), so
validation, capabilities and field types read the same files, each parsed once per process.
It knows nothing of overlay files; callers attach locations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate

from bkgen.errors import UsageError

_BUNDLED = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
_VERSION = re.compile(r"^v?1\.(\d+)(\.\d+)?$")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


BUNDLED: tuple[str, ...] = tuple(
    sorted(
        {p.name.split("-")[0].lstrip("v").rsplit(".", 1)[0] for p in _BUNDLED.glob("v*-local")},
        key=_key,
    )
)


def bundled_dir(minor: str, strict: bool = False) -> Path:
    """The bundled schemas of Kubernetes `minor` (`1.23`); strict sets reject unknown fields."""
    return _BUNDLED / f"v{minor}.0-local{'-strict' if strict else ''}"


def file_stem(api_version: str, kind: str) -> str:
    """The schema file name (without `.json`) kubernetes-validate and kubeconform use."""
    group, _, version = api_version.rpartition("/")
    prefix = group.split(".")[0] if group else ""
    return f"{kind.lower()}-{prefix}-{version}" if prefix else f"{kind.lower()}-{version}"


@cache
def definitions(directory: Path) -> Mapping[str, Any]:
    """`_definitions.json` of a bundled schema directory (about 1 MB), parsed once."""
    path = directory / "_definitions.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["definitions"]  # type: ignore[no-any-return]


def parse_minor(version: str) -> str | None:
    """`1.23`, `v1.23` or `1.23.4` -> `1.23`; None when it is not a Kubernetes 1.x version."""
    match = _VERSION.match(version.strip())
    return f"1.{match.group(1)}" if match else None


def normalize_version(version: str) -> str:
    """`parse_minor`, or a `UsageError` for a version given on the command line."""
    minor = parse_minor(version)
    if minor is None:
        raise UsageError(
            f"invalid Kubernetes version {version!r}",
            hint=f"a minor version such as {BUNDLED[-1]} (bundled: {span(BUNDLED)})",
        )
    return minor


def in_range(version: str, low: str, high: str) -> bool:
    return _key(low) <= _key(version) <= _key(high)


def span(versions: tuple[str, ...]) -> str:
    return f"{versions[0]}–{versions[-1]}" if versions else "none"


def usable(supported: tuple[str, str] | None) -> tuple[str, ...]:
    """Bundled versions inside the BlueKing range (all bundled ones when the catalog is silent)."""
    if supported is None:
        return BUNDLED
    inside = tuple(v for v in BUNDLED if in_range(v, *supported))
    return inside or BUNDLED


def nearest(version: str, options: tuple[str, ...]) -> str | None:
    """The option closest to `version` by minor number (ties: the older one)."""
    minor = parse_minor(version)
    if minor is None or not options:
        return None
    target = _key(minor)[1]
    return min(options, key=lambda v: (abs(_key(v)[1] - target), _key(v)))
