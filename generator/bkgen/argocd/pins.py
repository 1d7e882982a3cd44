"""Content pins: each child Application reads its files at a tag named after their digest.

Why: a child that tracks a branch syncs a commit as soon as it lands, whatever its
sync-wave, so changes would bypass the waves. A child pinned to
`bkgen/<env>/<release>/<digest>` only sees new files when its Application spec
changes, and the root applies Application specs wave by wave, waiting (through the
health check in `health.py`) for each wave to be Synced to its new spec. The name is
derived from the rendered bytes, so rendering stays deterministic and `bkgen check`
keeps working; `bkgen publish` creates the tags on the commit that holds the files.

The render side (`digest`, `tag`) is pure; `ensure_tags` works in a git checkout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from bkgen.errors import GitError
from bkgen.gitops import git

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


def wanted_tags(tree: Path) -> dict[str, Path]:
    """tag → the folder of `tree` it pins, read from the tree's child Applications.

    The Application's `source.path` ends in `<releases|workflows>/<release>`; the same
    two components locate the files inside the tree, wherever the tree is published.
    """
    wanted: dict[str, Path] = {}
    for path in sorted((tree / "argocd" / "apps").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        source = (doc.get("spec") or {}).get("source") or {}
        revision = str(source.get("targetRevision", ""))
        parts = str(source.get("path", "")).split("/")
        if revision.startswith(f"{PREFIX}/") and len(parts) >= 2:
            wanted[revision] = tree / parts[-2] / parts[-1]
    return wanted


def _on_disk(directory: Path) -> str:
    if not directory.is_dir():
        return ""
    return digest({p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()})


def ensure_tags(checkout: Path, trees: Sequence[Path], push: bool) -> list[str]:
    """Tag HEAD for every pin the trees (inside `checkout`) ask for; push new tags.

    HEAD must hold the trees (publish calls this right after committing them); each
    tag is checked against the files before it is made, so a tag never names other
    content. Existing tags are kept: the same name means the same bytes.
    """
    wanted: dict[str, Path] = {}
    for tree in trees:
        wanted.update(wanted_tags(tree))
    if not wanted:
        return []
    existing = set(git(["tag", "--list", f"{PREFIX}/*"], checkout).split())
    if push:
        existing |= _remote_tags(checkout)
    created: list[str] = []
    for name, folder in sorted(wanted.items()):
        if name in existing:
            continue
        dirty = git(["status", "--porcelain", "--", str(folder)], checkout).strip()
        if dirty or not name.endswith("/" + _on_disk(folder)):
            shown = folder.relative_to(checkout).as_posix()
            raise GitError(
                f"{shown} does not hold the content of pin {name}",
                hint="publish again: the committed tree is not the rendered one",
            )
        git(["tag", name, "HEAD"], checkout)
        created.append(name)
    if push and created:
        git(["push", "-q", "origin", *[f"refs/tags/{n}" for n in created]], checkout, check=False)
        # A racing publisher may have pushed the same name first: same name, same bytes.
        lost = sorted(set(created) - _remote_tags(checkout))
        if lost:
            raise GitError(f"could not push pin {lost[0]} (and {len(lost) - 1} more)")
    return created


def _remote_tags(checkout: Path) -> set[str]:
    remote = git(["ls-remote", "--tags", "origin", f"refs/tags/{PREFIX}/*"], checkout)
    return {line.split("refs/tags/", 1)[1] for line in remote.splitlines() if "refs/tags/" in line}
