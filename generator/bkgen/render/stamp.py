"""The no-op render: `rendered/<env>/` already is what these inputs render to.

After a render that wrote (or found in place) an environment's tree, a stamp records what
that render read and made: the digest of every file below the folders the environment
reads (overlays/base, its platform, its ancestors, its own folder, argo/, schemas/), the
chart-cache archives its charts.lock points at (or their absence), who rendered
(`render.identity`), the digest of every file of the tree, and the summary it printed.
The next render or check of that environment compares first: when every digest is the
same and no file was added or removed, the render would read the same bytes with the same
renderer, and bkgen renders the same inputs to the same bytes, so the tree in place is
the answer and the summary is printed again. Anything different, and the full render runs.

A stamp is made only where that argument holds: nothing but regular files below the
folders read (a link could make a file outside them an input), no `--trusted` ref (its
copy is new each run), and every input the same after the render as before it began.
Stamps live in the render cache (`render.cache`), one per checkout and environment, under
its HMAC secret: one planted or edited by anything that cannot read that secret is
removed, never believed. Standard library only, so a no-op render imports no engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bkgen.render import RenderSummary, identity
from bkgen.render.cache import ReleaseCache, open_cache, put

FORMAT = "bkgen-stamp-1"
# Read by every render whatever the environment (policy.yaml lives in overlays/base).
ALWAYS_READ = ("overlays/base", "argo", "schemas")
# What a snapshot taken before the render starts covers: every folder any env may read.
WATCHED = ("overlays", "argo", "schemas")
_MAX_STAMP = 16 * 1024 * 1024
# Written by importing the argo/ steps, not inputs; anywhere else such a folder is read
# like any other (a chart's templates/__pycache__/ is a template to Helm).
_PYTHON_CACHE = frozenset({"__pycache__"})


def _skipped(folder: str) -> frozenset[str]:
    return _PYTHON_CACHE if folder == "argo" else frozenset()


class _Unstampable(Exception):
    """A link or a special file: the folder's bytes do not pin what a render reads."""


def _sha_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _content(path: Path, _: os.stat_result) -> str:
    return _sha_file(path)


def _signature(_: Path, info: os.stat_result) -> str:
    """What changes when a file is written, renamed over or replaced, without reading it."""
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def _walk(
    base: Path,
    shown: str,
    skip: frozenset[str] = frozenset(),
    measure: Callable[[Path, os.stat_result], str] = _content,
) -> dict[str, str]:
    """`shown/<rel>` -> `measure` of every file below `base` (its sha256 by default), and
    `<rel>/` -> "dir" for every folder (an empty one can matter too); nothing when `base`
    is absent."""
    if base.is_symlink():
        raise _Unstampable(shown)
    if not base.is_dir():
        if base.exists():
            raise _Unstampable(shown)
        return {}
    prefix = f"{shown}/" if shown else ""
    found: dict[str, str] = {}
    for top, dirs, files in os.walk(base):
        here = Path(top)
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in dirs:
            path = here / name
            if path.is_symlink():
                raise _Unstampable(name)
            found[f"{prefix}{path.relative_to(base).as_posix()}/"] = "dir"
        for name in files:
            path = here / name
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                raise _Unstampable(name)
            found[prefix + path.relative_to(base).as_posix()] = measure(path, info)
    return found


def snapshot(root: Path, folders: Iterable[str]) -> dict[str, str] | None:
    """Repo-relative path -> sha256 below `folders`; None when they cannot be stamped."""
    found: dict[str, str] = {}
    try:
        for folder in sorted(set(folders)):
            found.update(_walk(root / folder, folder, _skipped(folder)))
    except (_Unstampable, OSError):
        return None
    return found


def signature(root: Path) -> dict[str, str] | None:
    """Size, times and inode of every file any render may read (`WATCHED`), taken when a
    render begins and again when it ends: the same both times, no input changed while it
    ran. Stat only: a fleet of a hundred environments, each with its chart archives, is
    not read a hundred times over."""
    found: dict[str, str] = {}
    try:
        for folder in WATCHED:
            found.update(_walk(root / folder, folder, _skipped(folder), _signature))
    except (_Unstampable, OSError):
        return None
    return found


def _file_state(path: str) -> str | None:
    try:
        return _sha_file(Path(path)) if Path(path).is_file() else None
    except OSError:
        return "unreadable"


@dataclass(frozen=True)
class Stamp:
    """One environment's render, ready to record once its tree is in place."""

    env: str
    folders: tuple[str, ...]
    inputs: Mapping[str, str]
    charts: Mapping[str, str | None]  # chart-cache file -> sha256, None: absent
    tree: Mapping[str, str]
    summary: RenderSummary


def prepare(
    root: Path,
    summary: RenderSummary,
    before: Mapping[str, str] | None,
    folders: Iterable[str],
    chart_files: Iterable[Path],
    files: Mapping[str, bytes],
) -> Stamp | None:
    """The stamp of a render that began when the inputs were `before` (`signature()`), or
    None when any changed while it ran (or they could not be stamped at all)."""
    if before is None:
        return None
    read = tuple(sorted(set(folders) | set(ALWAYS_READ)))
    inputs = snapshot(root, read)
    if inputs is None or signature(root) != before:
        return None
    charts = {str(path): _file_state(str(path)) for path in chart_files}
    # index.json lists every other file's sha256 already (`write.output.index`)
    listed = json.loads(files["index.json"]).get("files", {}) if "index.json" in files else {}
    tree = {
        name: listed.get(name) or hashlib.sha256(data).hexdigest() for name, data in files.items()
    }
    for name in files:  # the folders too, as a walk of the written tree finds them
        parts = name.split("/")[:-1]
        tree.update({"/".join(parts[: i + 1]) + "/": "dir" for i in range(len(parts))})
    return Stamp(summary.env, read, inputs, charts, tree, summary)


def _where(store: ReleaseCache, root: Path, env: str) -> Path:
    """One stamp per checkout and environment, beside the release entries."""
    place = hashlib.sha256(f"{root.resolve()}\0{env}".encode()).hexdigest()
    return store.directory.parent / FORMAT / f"{place}.json"


def _mac(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, FORMAT.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _who() -> dict[str, Any]:
    return {
        "code": identity.code(),
        "packages": identity.packages(),
        "environ": identity.environ(),
    }


def record(root: Path, stamp: Stamp) -> None:
    """Keep `stamp` for `root` (atomically); a cache that cannot be written keeps none."""
    store = open_cache()
    if store is None:
        return
    path = _where(store, root, stamp.env)
    body = json.dumps(
        {
            "format": FORMAT,
            "root": str(root.resolve()),
            "who": _who(),
            "env": stamp.env,
            "folders": list(stamp.folders),
            "inputs": dict(stamp.inputs),
            "charts": dict(stamp.charts),
            "tree": dict(stamp.tree),
            "summary": asdict(stamp.summary),
        },
        sort_keys=True,
    ).encode()
    put(path, _mac(store.secret, body).encode() + b"\n" + body)


def forget(root: Path, env: str) -> None:
    """Drop the stamp of `env` (its tree is about to change)."""
    store = open_cache()
    if store is not None:
        with contextlib.suppress(OSError):
            _where(store, root, env).unlink()


def fresh(root: Path, env: str) -> RenderSummary | None:
    """The summary of the render whose tree `rendered/<env>/` holds, when nothing that
    render read has changed since; None otherwise (render it)."""
    store = open_cache()
    if store is None:
        return None
    path = _where(store, root, env)
    try:
        if path.is_symlink() or path.stat().st_size > _MAX_STAMP:
            raise ValueError(path.name)
        mac, _, body = path.read_bytes().partition(b"\n")
        if not hmac.compare_digest(mac.decode("ascii", "replace"), _mac(store.secret, body)):
            raise ValueError(path.name)
        kept = json.loads(body)
        summary = _summary(kept["summary"])
        if kept["format"] != FORMAT or kept["env"] != env or summary.env != env:
            raise ValueError(path.name)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        forget(root, env)
        return None
    same = (
        kept["root"] == str(root.resolve())
        and kept["who"] == json.loads(json.dumps(_who()))
        and snapshot(root, kept["folders"]) == kept["inputs"]
        and all(_file_state(p) == d for p, d in kept["charts"].items())
        and not (root / "rendered").is_symlink()  # a render refuses it: so must this
        and _tree(root / "rendered" / env) == kept["tree"]
    )
    return summary if same else None


def _tree(directory: Path) -> dict[str, str] | None:
    try:
        return _walk(directory, "")
    except (_Unstampable, OSError):
        return None


def _summary(kept: Mapping[str, Any]) -> RenderSummary:
    return RenderSummary(
        env=str(kept["env"]),
        releases=tuple((str(r), str(m)) for r, m in kept["releases"]),
        waves=tuple((str(r), int(w)) for r, w in kept["waves"]),
        input_digest=str(kept["input_digest"]),
        files=int(kept["files"]),
        notes=tuple((str(r), str(n)) for r, n in kept["notes"]),
        warnings=tuple(str(w) for w in kept["warnings"]),
    )
