"""Rendered releases kept between runs, found by the digest of everything their render read.

An entry is one secured release (its manifests, mode, reviewed values, notes) stored under
its input key (`render/release_inputs.py`): the same key can only come from the same
inputs, and bkgen renders the same inputs to the same bytes, so a hit is what a cold render
would make. The cache lives outside the repository: `$BKGEN_CACHE_DIR` (`off` or empty:
no cache), else `$XDG_CACHE_HOME/bkgen`, else `~/.cache/bkgen`; deleting it is always safe.

Each entry carries an HMAC-SHA256, under a random secret made in the cache directory on
first use (mode 0600, never in the repository), over its key and its content: an entry
edited, truncated, renamed to another key or planted by anything that cannot read that
secret is detected, deleted and rebuilt, never used. A cache that cannot be read or written
is no cache: the render goes on without it. Only exact JSON types are stored (dict key
types and order, int vs float vs bool kept); a release holding anything else is not cached.
This module knows nothing of overlays; it stores and verifies.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen.render import Manifest, RenderedRelease
from bkgen.write.atomic_file import replace_file

FORMAT = "bkgen-render-cache-1"
_SCALARS = (str, int, float, bool, type(None))
_SECRET_BYTES = 64
_MAX_ENTRY = 64 * 1024 * 1024  # an entry bigger than this was not written by bkgen


def cache_root() -> Path | None:
    configured = os.environ.get("BKGEN_CACHE_DIR")
    if configured is not None:
        return None if configured.strip() in ("", "off") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bkgen"


@dataclass(frozen=True)
class ReleaseCache:
    directory: Path
    secret: bytes

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _mac(self, key: str, body: bytes) -> str:
        return hmac.new(self.secret, key.encode() + b"\n" + body, hashlib.sha256).hexdigest()

    def has(self, key: str) -> bool:
        """An entry is stored under `key` (a hint: `load` still verifies it)."""
        return self._path(key).is_file()

    def load(self, key: str) -> RenderedRelease | None:
        """The entry under `key`, verified; `None` (and the entry gone) when it is missing,
        unreadable, not bkgen's, or was changed."""
        path = self._path(key)
        try:
            if path.is_symlink() or path.stat().st_size > _MAX_ENTRY:
                raise ValueError(key)
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self._drop(path)
            return None
        mac, _, body = raw.partition(b"\n")
        if not hmac.compare_digest(mac.decode("ascii", "replace"), self._mac(key, body)):
            self._drop(path)
            return None
        try:
            entry = json.loads(body)
            if entry.get("format") != FORMAT or entry.get("key") != key:
                raise ValueError(key)
            return _release(entry)
        except (ValueError, TypeError, KeyError, AttributeError):
            self._drop(path)
            return None

    def store(self, key: str, release: RenderedRelease) -> None:
        """Keep `release` under `key` (atomically); a release that cannot be stored
        exactly, or a cache that cannot be written, is simply not kept."""
        try:
            entry = {"format": FORMAT, "key": key, **_entry(release)}
        except _Inexact:
            return
        body = json.dumps(entry, separators=(",", ":"), allow_nan=True).encode()
        put(self._path(key), self._mac(key, body).encode() + b"\n" + body)

    @staticmethod
    def _drop(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()


def put(path: Path, data: bytes) -> None:
    """Write `data` at `path` in the cache whole or not at all (`replace_file`): a
    concurrent reader sees the old file or the new one. A cache that cannot be written
    keeps nothing, and the render goes on."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, exist_ok=True)
        replace_file(path, data)


def open_cache(root: Path | None = None) -> ReleaseCache | None:
    """The release cache under `root` (default: `cache_root()`), with its secret; `None`
    when caching is off or the directory is not usable."""
    root = root if root is not None else cache_root()
    if root is None:
        return None
    directory = root / "render" / FORMAT
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return ReleaseCache(directory, _secret(root / "render" / "secret"))
    except OSError:
        return None


def _secret(path: Path) -> bytes:
    """The cache's HMAC key, published whole (written aside, then hard-linked into place, so
    a concurrent bkgen never reads half of it); one that is not what bkgen writes is
    replaced, which only makes every entry fail its check and be rebuilt."""
    for _ in range(3):
        try:
            if not path.is_symlink() and path.is_file():
                value = path.read_bytes()
                if len(value) == _SECRET_BYTES:
                    return value
            path.unlink(missing_ok=True)
        except OSError:
            pass
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        value = secrets.token_hex(_SECRET_BYTES // 2).encode()
        with os.fdopen(handle, "wb") as out:
            out.write(value)
        try:
            os.link(name, path)
            return value
        except FileExistsError:
            continue  # another bkgen published one first: read that
        finally:
            Path(name).unlink()
    raise OSError(f"{path}: cannot make the cache secret")


class _Inexact(Exception):
    """A value JSON would not give back exactly."""


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {"m": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if kind is list:
        return {"l": [_encode(v) for v in value]}
    if kind in _SCALARS:
        return value
    raise _Inexact(kind.__name__)


def _decode(value: Any) -> Any:
    if type(value) is dict:
        if "m" in value:
            return {_decode(k): _decode(v) for k, v in value["m"]}
        return [_decode(v) for v in value["l"]]
    return value


def _entry(release: RenderedRelease) -> dict[str, Any]:
    return {
        "name": release.name,
        "mode": release.mode,
        "manifests": [[_encode(m.body), m.source] for m in release.manifests],
        "values": None if release.values is None else _encode(release.values),
        "notes": list(release.notes),
    }


def _release(entry: dict[str, Any]) -> RenderedRelease:
    values = entry["values"]
    return RenderedRelease(
        name=str(entry["name"]),
        mode=str(entry["mode"]),
        manifests=tuple(
            Manifest(_decode(body), str(source)) for body, source in entry["manifests"]
        ),
        values=None if values is None else _decode(values),
        notes=tuple(str(n) for n in entry["notes"]),
    )
