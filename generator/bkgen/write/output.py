"""What a rendered tree is: deterministic file names, serialized bytes, and the index.

A rendered tree is a mapping of relative POSIX paths to bytes, built fully in
memory before anything touches the disk; `rendered_dir` writes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bkgen.errors import Location, OutputError
from bkgen.yamlio import dump

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Placed:
    """An object with the directory it goes to and where it came from."""

    directory: str
    body: Mapping[str, Any]
    source: str


def _group(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def _safe(part: str) -> str:
    text = _UNSAFE.sub("-", part)
    return text.lstrip(".") or "_"


MAX_FILE_NAME = 200  # bytes; file systems stop at 255, Kubernetes names go to 253


def _bounded(directory: str, stem: str) -> str:
    """`<dir>/<stem>.yaml`, the stem cut to fit and made unique by a hash of the whole."""
    if len(stem.encode()) + len(".yaml") > MAX_FILE_NAME:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
        stem = f"{stem[: MAX_FILE_NAME - len('.yaml') - 13]}-{digest}"
    return f"{directory}/{stem}.yaml"


def file_names(objects: Iterable[Placed]) -> dict[str, Placed]:
    """`<dir>/<Kind>_<name>.yaml`, widened with group and namespace only where names collide."""
    by_short: dict[str, list[Placed]] = {}
    for obj in objects:
        meta = obj.body.get("metadata", {})
        short = _bounded(
            obj.directory, f"{_safe(str(obj.body['kind']))}_{_safe(str(meta['name']))}"
        )
        by_short.setdefault(short, []).append(obj)
    out: dict[str, Placed] = {}
    for short, group in sorted(by_short.items()):
        if len(group) == 1:
            out[short] = group[0]
            continue
        for obj in group:
            meta = obj.body["metadata"]
            group_name = _group(str(obj.body["apiVersion"])) or "core"
            long = _bounded(
                obj.directory,
                f"{_safe(str(obj.body['kind']))}.{_safe(group_name)}_"
                f"{_safe(str(meta.get('namespace') or '_cluster'))}_{_safe(str(meta['name']))}",
            )
            if long in out:
                raise OutputError(
                    f"duplicate object {obj.body['kind']} "
                    f"{meta.get('namespace', '')}/{meta['name']} "
                    f"from {out[long].source} and {obj.source}",
                    location=Location(obj.source),
                )
            out[long] = obj
    return out


def check_relative(path: str) -> str:
    """Refuse anything that could land outside the environment's directory."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise OutputError(f"refusing to write outside the rendered tree: {path!r}")
    return pure.as_posix()


def serialize(files: Mapping[str, Any]) -> dict[str, bytes]:
    """YAML for objects, bytes as they are; plus `index.json` is added by the caller."""
    out: dict[str, bytes] = {}
    for path, content in files.items():
        rel = check_relative(path)
        out[rel] = content if isinstance(content, bytes) else dump(content).encode()
    return out


def index(files: Mapping[str, bytes], inputs: Mapping[str, str], extra: Mapping[str, Any]) -> bytes:
    """Input digests and every file's sha256; no timestamps, no absolute paths."""
    digest = hashlib.sha256()
    for path in sorted(inputs):
        digest.update(f"{path}\0{inputs[path]}\n".encode())
    document = {
        **extra,
        "inputDigest": digest.hexdigest(),
        "inputs": dict(sorted(inputs.items())),
        "files": {p: hashlib.sha256(files[p]).hexdigest() for p in sorted(files)},
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
