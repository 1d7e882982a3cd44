"""What an environment says about its review: ignored field paths (env.yaml `diff:`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bkgen.diff.compare import DEFAULT_IGNORE
from bkgen.yamlio import load_file


def ignore_patterns(
    root: Path | None, env: str | None, extra: tuple[str, ...] = (), defaults: bool = True
) -> tuple[str, ...]:
    """The built-in list (unless turned off here or by the env), the env's list, the CLI's."""
    doc: dict[str, Any] = {}
    if root is not None and env is not None:
        path = root / "overlays" / env / "env.yaml"
        if path.is_file():
            doc = (load_file(path, root=root) or {}).get("diff") or {}
    patterns = list(DEFAULT_IGNORE) if defaults and doc.get("defaultIgnore", True) else []
    patterns += [str(p) for p in doc.get("ignore") or []]
    patterns += extra
    return tuple(dict.fromkeys(patterns))
