"""Who renders: bkgen's own source, the Python and packages it runs on, the `BKGEN_*`
variables that set its limits. Two renders of the same inputs make the same bytes only
when this is the same, so every cache key of bkgen starts from it.

Kept to the standard library and cheap (no `importlib.metadata`): the no-op render
(`render.stamp`) computes it before it knows whether anything else must be imported.
Digests only: no path of this machine and no variable's value leaves this module.
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path

# Set by whoever runs bkgen, not read by the render: where caches live, debugging.
_NOT_INPUTS = frozenset({"BKGEN_CACHE_DIR", "BKGEN_DEBUG"})
# Where the chart cache is found (`charts.cache.cache_dir`) when BKGEN_CHART_CACHE is unset.
_LOCATIONS = ("XDG_CACHE_HOME", "HOME")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def python_tree(directory: Path, seed: bytes = b"") -> str:
    """Every `*.py` below `directory`, by relative path and bytes: Python source that is
    loaded, as one digest (bkgen's own here, the argo/ steps in `workflows.compile`)."""
    digest = hashlib.sha256(seed)
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code() -> str:
    """bkgen's own source: a changed line of bkgen is a different renderer."""
    return python_tree(Path(__file__).resolve().parent.parent)


@lru_cache(maxsize=1)
def packages() -> str:
    """Every installed distribution by name and version (the `*.dist-info` folders on
    sys.path), with the interpreter's version: an upgraded Helm engine, schema bundle or
    YAML library is a different renderer. More than bkgen's requirements, on purpose:
    listing folders is cheaper than asking `importlib.metadata` which ones matter."""
    names: list[str] = [sys.version]
    for entry in sys.path:
        try:
            listing = [p.name for p in Path(entry or ".").iterdir()]
        except OSError:
            continue
        names.extend(n for n in listing if n.endswith((".dist-info", ".egg-info")))
    return sha("\n".join(sorted(names)))


def environ() -> list[tuple[str, str]]:
    """The variables a render reads, each as the digest of its value."""
    return sorted(
        (k, sha(v))
        for k, v in os.environ.items()
        if (k.startswith("BKGEN_") and k not in _NOT_INPUTS) or k in _LOCATIONS
    )
