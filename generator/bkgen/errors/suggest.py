"""Did-you-mean: the closest known name for a name the user wrote.

Every lookup of a user-written name (environment, release, file, value key, rule ID) goes
through here so the hints read the same everywhere and point to what the user most likely
meant. For value keys the whole known tree is searched, not only the same level: a
`bkMainSiteDomain` dedented out of `domain:` is `domain.bkMainSiteDomain`, not a new key.

This module only compares strings; it must not read files or raise.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

KeyPath = tuple[str, ...]

CUTOFF = 0.6  # difflib's default: close enough that a human would call it a typo


def closest(name: str, known: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The known name most like `name`, or None; case differences count as near-identical."""
    choices = sorted(set(known))
    if not choices:
        return None
    folded = {c.lower(): c for c in choices}
    if name.lower() in folded and folded[name.lower()] != name:
        return folded[name.lower()]
    found = difflib.get_close_matches(name, choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str], fallback: str | None = None) -> str | None:
    """A hint: "did you mean 'x'?", else `fallback` (e.g. the list of valid names)."""
    match = closest(name, known)
    return f"did you mean '{match}'?" if match is not None else fallback


def one_of(known: Iterable[str], limit: int = 12) -> str:
    """ "a, b, c" (or the first `limit` and a count) for hints listing the valid names."""
    names = sorted(set(known))
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, … ({len(names)} in all)"


def key_paths(tree: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every mapping key path in `tree`, parents before children."""
    if not isinstance(tree, Mapping):
        return
    for key, value in tree.items():
        path = (*prefix, str(key))
        yield path
        yield from key_paths(value, path)


def closest_key_path(path: KeyPath, tree: Any) -> KeyPath | None:
    """The key path in `tree` the user most likely meant by `path`.

    Tried in order: the same last segment elsewhere in the tree (a key written at the wrong
    indentation: an exact name is stronger evidence than a similar one); a sibling spelt
    alike (a typo at the right level); a close spelling anywhere in the tree (both at once).
    """
    if not path:
        return None
    known = list(key_paths(tree))
    parent, leaf = path[:-1], path[-1]
    same_leaf = sorted((p for p in known if p[-1] == leaf), key=lambda p: (len(p), p))
    if same_leaf:
        return same_leaf[0]
    siblings = [p[-1] for p in known if p[:-1] == parent]
    match = closest(leaf, siblings)
    if match is not None:
        return (*parent, match)
    by_leaf: dict[str, list[KeyPath]] = {}
    for p in known:
        by_leaf.setdefault(p[-1], []).append(p)
    match = closest(leaf, by_leaf)
    if match is not None:
        return sorted(by_leaf[match], key=lambda p: (len(p), p))[0]
    return None
