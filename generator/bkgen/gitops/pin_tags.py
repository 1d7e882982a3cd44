"""The git tags behind content pins, made in a checkout when `bkgen publish` commits.

`bkgen.argocd.pins` names each child Application's revision after the digest of its
files; this module makes those names exist as tags on the commit that holds the files,
checking each against the bytes first, so a tag never names other content.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from bkgen.argocd import pins
from bkgen.errors import GitError
from bkgen.gitops.git import git


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
        if revision.startswith(f"{pins.PREFIX}/") and len(parts) >= 2:
            wanted[revision] = tree / parts[-2] / parts[-1]
    return wanted


def _on_disk(directory: Path) -> str:
    if not directory.is_dir():
        return ""
    return pins.digest({p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()})


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
    existing = set(git(["tag", "--list", f"{pins.PREFIX}/*"], checkout).split())
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
    remote = git(["ls-remote", "--tags", "origin", f"refs/tags/{pins.PREFIX}/*"], checkout)
    return {line.split("refs/tags/", 1)[1] for line in remote.splitlines() if "refs/tags/" in line}
