"""The content-addressed chart cache: `<cache>/sha256/<hex>.tgz`, verified on every read.

Default location: `$BKGEN_CHART_CACHE`, else `$XDG_CACHE_HOME/bkgen/charts`, else
`~/.cache/bkgen/charts`. Content addressing makes the cache shareable between projects,
environments and CI jobs: the same bytes are stored once, and a tampered or truncated file
is detected by its name.

Beside each archive, `<hex>.origins` lists the repositories that served those bytes to
`charts pull`. A lock entry naming another repository is refused at render: a warm cache
must not render an archive under the name of a repository that never served it (a pull
request's charts.lock could otherwise pair a trusted repository with any cached bytes).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from bkgen.errors import Location, RenderError
from bkgen.write.atomic_file import replace_file

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024  # the biggest BlueKing chart is a few MB


def cache_dir() -> Path:
    explicit = os.environ.get("BKGEN_CHART_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "bkgen" / "charts"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _path(directory: Path, digest: str) -> Path:
    algorithm, _, hexdigest = digest.partition(":")
    if (
        algorithm != "sha256"
        or len(hexdigest) != 64
        or not all(c in "0123456789abcdef" for c in hexdigest)
    ):
        raise RenderError(f"invalid chart digest {digest!r} (expected sha256:<64 hex>)")
    return directory / "sha256" / f"{hexdigest}.tgz"


def files(digest: str) -> tuple[Path, Path]:
    """The archive with `digest` and its origins list, where a render would look for them
    (present or not): what a no-op render (`render.stamp`) must find unchanged."""
    path = _path(cache_dir(), digest)
    return path, path.with_suffix(".origins")


def has(digest: str, directory: Path | None = None) -> bool:
    return _path(directory or cache_dir(), digest).is_file()


def read(digest: str, where: Location | None = None) -> bytes | None:
    """The archive with `digest`, or None when absent; a file whose bytes do not match is an
    error (the cache was tampered with or truncated), never silently used. `where`: the
    charts.lock entry that pins it, which errors name (the cache is outside the repo)."""
    path = _path(cache_dir(), digest)
    try:
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise RenderError(
                f"cached chart {digest} is larger than {MAX_ARCHIVE_BYTES} bytes", location=where
            )
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise RenderError(f"cannot read the chart cache: {err.strerror}", location=where) from None
    actual = sha256_digest(data)
    if actual != digest:
        raise RenderError(
            f"cached chart {digest} has digest {actual}",
            location=where,
            hint="the cache is corrupt: delete that file and run bkgen charts pull",
        )
    return data


def store(data: bytes, origins: Iterable[str] = (), directory: Path | None = None) -> str:
    """Write `data` atomically under its digest, and the repositories that served it;
    returns the digest."""
    digest = sha256_digest(data)
    path = _path(directory or cache_dir(), digest)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data, durable=True)
    known = served_by(digest, directory)
    wanted = known | {_url(o) for o in origins}
    if wanted != known:
        text = "".join(f"{o}\n" for o in sorted(wanted))
        replace_file(path.with_suffix(".origins"), text.encode(), durable=True)
    return digest


def served_by(digest: str, directory: Path | None = None) -> set[str]:
    """The repositories `charts pull` downloaded these bytes from (empty: unknown)."""
    path = _path(directory or cache_dir(), digest).with_suffix(".origins")
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return set()
    except OSError as err:
        raise RenderError(f"cannot read the chart cache: {err.strerror}") from None
    return {line.strip() for line in text.splitlines() if line.strip()}


def _url(url: str) -> str:
    return url.rstrip("/")
