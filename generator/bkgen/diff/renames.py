"""Which removed resource became which added one: renames, with or without edits.

Like `git diff -M`: a resource removed and another added with the same group, kind and
namespace are one renamed resource when at least half of their fields (leaf paths with their
values, the name left out) are the same. The renamed resource is then compared with its old
self, so a rename plus an edit shows both; a reviewer otherwise reads a whole added object
and a removed one and has to find the edit by eye.

Pairs are chosen greedily by similarity (ties by key, so the result is deterministic). This
module decides pairs only; what a rename *means* for data (a PVC's new name is a new, empty
volume) is `data_risk`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.diff.model import VALUES_GROUP, Key, Resource, metadata

SIMILARITY = 0.5  # git's default rename threshold
# An Application under a new name is a delete (cascading to everything it deployed) and a
# create; a release's values under a new release name are another release: never renames.
_NEVER_RENAMED = ("Application", "AppProject")
_MAX_PAIRS = 10_000  # per group/kind/namespace: beyond it, only identical content pairs


def _leaves(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, Mapping) and value:
        for key, child in value.items():
            yield from _leaves(child, f"{prefix}.{key}")
    elif isinstance(value, list) and value:
        for index, child in enumerate(value):
            yield from _leaves(child, f"{prefix}[{index}]")
    else:
        yield f"{prefix}={json.dumps(value, sort_keys=True, default=str)}"


def _fields(body: Mapping[str, Any]) -> frozenset[str]:
    meta = dict(metadata(body))
    meta.pop("name", None)
    return frozenset(_leaves({**body, "metadata": meta}))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / max(len(a), len(b))


def renamed_with_name(old: Resource, new_name: str) -> dict[str, Any]:
    """The old body under its new name: compared with the new body, it shows only edits."""
    body = dict(old.body)
    body["metadata"] = {**metadata(old.body), "name": new_name}
    return body


def pair_renames(
    removed: Mapping[Key, Resource], added: Mapping[Key, Resource]
) -> list[tuple[Key, Key]]:
    """(old key, new key) for every rename, most similar pairs first."""
    groups: dict[tuple[str, str, str], tuple[list[Key], list[Key]]] = {}
    for key in sorted(removed):
        groups.setdefault(key[:3], ([], []))[0].append(key)
    for key in sorted(added):
        if key[:3] in groups:
            groups[key[:3]][1].append(key)
    pairs: list[tuple[Key, Key]] = []
    for (group, kind, _), (olds, news) in groups.items():
        if group == VALUES_GROUP or kind in _NEVER_RENAMED:
            continue
        if not news:
            continue
        old_fields = {k: _fields(removed[k].body) for k in olds}
        new_fields = {k: _fields(added[k].body) for k in news}
        if len(olds) * len(news) > _MAX_PAIRS:
            by_content = {v: k for k, v in reversed(list(old_fields.items()))}
            for key in news:
                match = by_content.pop(new_fields[key], None)
                if match is not None:
                    pairs.append((match, key))
            continue
        scored = sorted(
            (-similarity(old_fields[o], new_fields[n]), o, n) for o in olds for n in news
        )
        taken_old: set[Key] = set()
        taken_new: set[Key] = set()
        for score, o, n in scored:
            if -score < SIMILARITY or o in taken_old or n in taken_new:
                continue
            taken_old.add(o)
            taken_new.add(n)
            pairs.append((o, n))
    return sorted(pairs, key=lambda p: p[1])
