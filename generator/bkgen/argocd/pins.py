"""Content pins: each child Application reads its files at a tag named after their digest.

Why: a child that tracks a branch syncs a commit as soon as it lands, whatever its
sync-wave, so changes would bypass the waves. A child pinned to
`bkgen/<env>/<release>/<digest>` only sees new files when its Application spec
changes, and the root applies Application specs wave by wave, waiting (through the
health check in `health.py`) for each wave to be Synced to its new spec. The name is
derived from the rendered bytes, so rendering stays deterministic and `bkgen check`
keeps working; `bkgen publish` creates the tags on the commit that holds the files
(`bkgen.gitops.pin_tags`). This module is pure, like the rest of the package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

PREFIX = "bkgen"
DIGEST_LENGTH = 16
# What a directory-source child reads: its folder, not recursive, without values.yaml.
VALUES_FILE = "values.yaml"  # Helm values kept beside a release for review, not applied
EXCLUDED = frozenset({VALUES_FILE})


def digest(files: Mapping[str, bytes]) -> str:
    """sha256 over (name, bytes) of the files a child reads, in name order."""
    hasher = hashlib.sha256()
    for name in sorted(files):
        if name in EXCLUDED or "/" in name:
            continue
        data = files[name]
        hasher.update(f"{name}\0{len(data)}\0".encode())
        hasher.update(data)
    return hasher.hexdigest()[:DIGEST_LENGTH]


def folder_digests(files: Mapping[str, bytes], folders: Sequence[str]) -> dict[str, str]:
    """The digest of each folder (`releases/<name>`, `workflows/<name>`) of a rendered tree."""
    out: dict[str, str] = {}
    for folder in folders:
        prefix = folder.rstrip("/") + "/"
        inside = {p[len(prefix) :]: b for p, b in files.items() if p.startswith(prefix)}
        out[folder] = digest(inside)
    return out


def tag(env: str, release: str, content_digest: str) -> str:
    return f"{PREFIX}/{env}/{release}/{content_digest}"
