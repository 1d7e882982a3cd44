"""Reading user input without leaving the project: the one gate every input file passes.

A pull request controls the files under `overlays/`, `argo/`, `schemas/` and charts, and can
make any of them a symlink. bkgen follows a symlink only when its target stays inside the
project root (documented: a shared values file linked into two environments is fine); a
link that leaves it (`custom.yaml -> ~/.kube/config`) is refused with the link and its
target. Anything that exists but is not a regular file (a directory, a FIFO, a dangling
link) is an error naming it, never an absent input. Sizes are checked before reading.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bkgen.errors import Location, OverlayError, display_path
from bkgen.safety import limits


def exists(path: Path) -> bool:
    """Present in any form, a dangling symlink included: the caller must then read it and
    get the precise error, rather than skip it as absent."""
    return os.path.lexists(path)


def inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


LINK_HINT = "bkgen follows symlinks only to files inside the repository"


def refuse_link_out(
    path: Path,
    boundary: Path | None,
    *,
    shown: str,
    what: str = "the project",
    hint: str = LINK_HINT,
    error: type[OverlayError] = OverlayError,
) -> Path:
    """`path` resolved, or an error naming the link and its target when it leaves
    `boundary` (the project, or a chart inside it; None: no link is allowed at all)."""
    real = path.resolve()
    if boundary is None or not real.is_relative_to(boundary.resolve()):
        target = path.readlink() if path.is_symlink() else real
        raise error(
            f"symlink leaves {what}: {shown} -> {target}", location=Location(shown), hint=hint
        )
    return real


def check_path(
    path: Path,
    root: Path | None,
    *,
    error: type[OverlayError] = OverlayError,
    limit: int | None = None,
) -> Path:
    """The real path to open; refuses links out of `root`, dangling links, odd files, and
    files over `limit` bytes (default: BKGEN_MAX_INPUT_BYTES)."""
    shown = display_path(path, root)
    if path.is_symlink():
        target = path.readlink()
        real = refuse_link_out(path, root, shown=shown, error=error) if root else path.resolve()
        if not real.exists():
            raise error(f"dangling symlink -> {target}", location=Location(shown))
        path = real
    elif root is not None and not inside(path, root):
        raise error("path leaves the project", location=Location(shown))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error("file not found", location=Location(shown)) from None
    except OSError as err:
        raise error(f"cannot read file: {err.strerror}", location=Location(shown)) from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a directory, not a file", location=Location(shown))
    if not stat.S_ISREG(info.st_mode):
        raise error("is not a regular file (a FIFO, socket or device)", location=Location(shown))
    chosen = limits.current().max_input_bytes if limit is None else limit
    if info.st_size > chosen:
        raise error(
            f"file is larger than {chosen} bytes",
            location=Location(shown),
            hint="raise BKGEN_MAX_INPUT_BYTES if this is intended" if limit is None else None,
        )
    return path


def read_bytes(
    path: Path,
    root: Path | None,
    *,
    error: type[OverlayError] = OverlayError,
    limit: int | None = None,
) -> bytes:
    real = check_path(path, root, error=error, limit=limit)
    limit = limits.current().max_input_bytes if limit is None else limit
    try:
        with real.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise error(
            f"cannot read file: {err.strerror}", location=Location(display_path(path, root))
        ) from None
    if len(data) > limit:  # grew between stat and read
        raise error(
            f"file is larger than {limit} bytes", location=Location(display_path(path, root))
        )
    return data


def read_text(path: Path, root: Path | None, *, error: type[OverlayError] = OverlayError) -> str:
    data = read_bytes(path, root, error=error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(
            f"not UTF-8 (byte {err.start})", location=Location(display_path(path, root))
        ) from None
