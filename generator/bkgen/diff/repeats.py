"""The same change in many Applications, shown once: "in 11 applications: …".

A base value (a renamed Secret, a registry, a domain) reaches every release that reads it; a
review that repeats one identical line per Application buries the one change that differs and
uses up the comment's size limit. A change is "repeated" when the same path, kind, old and
new value (compared raw) appears in at least `MIN_APPLICATIONS` Applications; it is shown once
per environment with the Applications it is in, and each resource says how many of its
changes were shown there. `-o json` still lists every change where it happens.

This module only groups; `formats` prints (through `present`, which masks).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bkgen.diff.compare import TreeDiff
from bkgen.diff.model import Change, ResourceDiff

MIN_APPLICATIONS = 3


@dataclass(frozen=True)
class Repeat:
    change: Change  # one of the identical changes (the first, in review order)
    releases: tuple[str, ...]  # the Applications it is in, in review order


def _identity(change: Change) -> str:
    return json.dumps(
        [change.path, change.kind, change.old, change.new, change.sensitive],
        sort_keys=True,
        default=str,
    )


def find(diff: TreeDiff) -> list[Repeat]:
    """Changes found in at least MIN_APPLICATIONS Applications of one environment."""
    seen: dict[str, tuple[Change, list[str]]] = {}
    for release, items in diff.by_release().items():
        for item in items:
            for change in item.changes:
                entry = seen.setdefault(_identity(change), (change, []))
                if release not in entry[1]:
                    entry[1].append(release)
    return [
        Repeat(change, tuple(releases))
        for change, releases in seen.values()
        if len(releases) >= MIN_APPLICATIONS
    ]


def without(item: ResourceDiff, repeats: Sequence[Repeat]) -> ResourceDiff:
    """The resource with its repeated changes left out, and a note saying how many."""
    if not repeats:
        return item
    shared = {_identity(r.change) for r in repeats}
    kept = tuple(c for c in item.changes if _identity(c) not in shared)
    if len(kept) == len(item.changes):
        return item
    count = len(item.changes) - len(kept)
    note = f"{count} change(s) shown once above, under repeated changes"
    return replace(item, changes=kept, note=f"{item.note}; {note}" if item.note else note)
