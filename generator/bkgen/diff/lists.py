"""Lists compared as Kubernetes applies them: order is content.

A pod template's `env`, `args`, `ports` or `volumes` in another order is another pod
template: every pod rolls. So a reordering is never "no difference". It is reported as the
items that moved (the fewest moves that explain the new order, by longest common subsequence),
not as unrelated removed and added lines: a reviewer reads "env[3] REDIS_HOST moved to env[0]".

Items with a unique `name` (containers, env vars, ports, volumes) are matched by name, so an
edited item is compared field by field wherever it moved. Other lists are matched by content;
an item removed in one place and added unchanged in another is a move.

This module only walks lists; it must not mask or print (the walker and `present` do).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any, Protocol

MISSING: Any = object()


class Walker(Protocol):
    def walk(self, old: Any, new: Any, segs: list[str], sensitive: bool) -> None: ...

    def emit(
        self, segs: list[str], old: Any, new: Any, sensitive: bool, moved: Any = MISSING
    ) -> None: ...


def named(items: list[Any]) -> bool:
    """Every item is a mapping with a distinct string `name`."""
    names = [i.get("name") if isinstance(i, Mapping) else None for i in items]
    return all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


def _moved(old_order: list[str], new_order: list[str]) -> set[str]:
    """Keys of the common items outside the longest common subsequence: those that moved."""
    common = set(old_order) & set(new_order)
    a = [k for k in old_order if k in common]
    b = [k for k in new_order if k in common]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    kept = {a[block.a + n] for block in matcher.get_matching_blocks() for n in range(block.size)}
    return common - kept


def walk_named(walker: Walker, old: list[Any], new: list[Any], segs: list[str], sens: bool) -> None:
    left = {i["name"]: n for n, i in enumerate(old)}
    right = {i["name"]: n for n, i in enumerate(new)}
    moved = _moved(list(left), list(right))
    for name in [*left, *(k for k in right if k not in left)]:
        item_segs = [*segs, f"[{name}]"]
        if name in moved:
            walker.emit(item_segs, left[name], right[name], sens, moved=old[left[name]])
        walker.walk(
            old[left[name]] if name in left else MISSING,
            new[right[name]] if name in right else MISSING,
            item_segs,
            sens,
        )


def walk_positional(
    walker: Walker, old: list[Any], new: list[Any], segs: list[str], sens: bool
) -> None:
    a = [json.dumps(i, sort_keys=True, default=str) for i in old]
    b = [json.dumps(i, sort_keys=True, default=str) for i in new]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    # An item removed here and added, unchanged, there is a move (first come, first paired).
    gone: dict[str, list[int]] = {}
    for _, i1, i2, _, _ in opcodes:
        for i in range(i1, i2):
            gone.setdefault(a[i], []).append(i)
    moves: dict[int, int] = {}  # new index -> old index
    for _, _, _, j1, j2 in opcodes:
        for j in range(j1, j2):
            if gone.get(b[j]):
                moves[j] = gone[b[j]].pop(0)
    paired_old = set(moves.values())
    for j, i in sorted(moves.items()):
        walker.emit([*segs, f"[{j}]"], i, j, sens, moved=old[i])
    for _, i1, i2, j1, j2 in opcodes:
        left = [i for i in range(i1, i2) if i not in paired_old]
        right = [j for j in range(j1, j2) if j not in moves]
        if len(left) == len(right):
            for i, j in zip(left, right, strict=True):
                walker.walk(old[i], new[j], [*segs, f"[{j}]"], sens)
            continue
        for i in left:
            walker.emit([*segs, f"[{i}]"], old[i], MISSING, sens)
        for j in right:
            walker.emit([*segs, f"[{j}]"], MISSING, new[j], sens)


def walk_list(walker: Walker, old: list[Any], new: list[Any], segs: list[str], sens: bool) -> None:
    """Every difference between two lists at `segs`, moves included."""
    if old and new and named(old) and named(new):
        walk_named(walker, old, new, segs, sens)
    else:
        walk_positional(walker, old, new, segs, sens)
