"""Replace one file atomically: a reader sees the old bytes or the new ones, never half.

For the files bkgen writes in place (overlay edits, charts.lock, chart cache entries); the
rendered tree is swapped as a whole directory by `rendered_dir`.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path


def replace_file(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write `data` beside `path`, then rename it over `path`; `durable` fsyncs first (cache
    entries are named by their digest, so a torn file would carry a lying name)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with suppress(OSError):
            Path(tmp).unlink()
        raise
