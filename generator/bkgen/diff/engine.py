"""Compare two trees: added, removed, renamed, changed (field by field)."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bkgen.diff.model import Key, Resource

Path = tuple[str, ...]
_MISSING = object()


@dataclass(frozen=True)
class Change:
    path: str  # dotted, list items as [name] or [index]
    old: Any
    new: Any


@dataclass(frozen=True)
class ResourceDiff:
    status: str  # added | removed | changed | renamed
    label: str
    release: str
    path: str
    changes: tuple[Change, ...] = ()
    old_label: str = ""


@dataclass
class TreeDiff:
    resources: list[ResourceDiff] = field(default_factory=list)
    waves: dict[str, int] = field(default_factory=dict)  # release -> sync-wave

    @property
    def empty(self) -> bool:
        return not self.resources

    def by_release(self) -> dict[str, list[ResourceDiff]]:
        out: dict[str, list[ResourceDiff]] = {}
        for item in self.resources:
            out.setdefault(item.release, []).append(item)
        return dict(sorted(out.items(), key=lambda kv: (self.waves.get(kv[0], 10**6), kv[0])))

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "renamed": 0}
        for item in self.resources:
            out[item.status] += 1
        return out


def _item_key(item: Any, index: int) -> str:
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        return f"[{item['name']}]"
    return f"[{index}]"


def _walk(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            _walk(old.get(key, _MISSING), new.get(key, _MISSING), sub, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        named = all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in old + new)
        if named:
            left = {_item_key(i, n): i for n, i in enumerate(old)}
            right = {_item_key(i, n): i for n, i in enumerate(new)}
            for key in [*left, *(k for k in right if k not in left)]:
                _walk(left.get(key, _MISSING), right.get(key, _MISSING), f"{path}{key}", out)
            return
        if len(old) == len(new):
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                _walk(a, b, f"{path}[{index}]", out)
            return
    if old != new:
        out.append(Change(path, None if old is _MISSING else old, None if new is _MISSING else new))


def _ignored(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) for p in patterns)


def _without_name(body: Mapping[str, Any]) -> str:
    meta = dict(body.get("metadata") or {})
    meta.pop("name", None)
    return json.dumps({**body, "metadata": meta}, sort_keys=True, default=str)


def _waves(tree: Mapping[Key, Resource]) -> dict[str, int]:
    out = {}
    for resource in tree.values():
        if resource.key[1] != "Application":
            continue
        meta = resource.body.get("metadata") or {}
        wave = (meta.get("annotations") or {}).get("argocd.argoproj.io/sync-wave")
        release = (meta.get("labels") or {}).get("bkgen.io/release")
        if release and wave is not None:
            try:
                out[str(release)] = int(wave)
            except ValueError:
                continue
    return out


def diff_trees(
    old: Mapping[Key, Resource], new: Mapping[Key, Resource], ignore: Sequence[str] = ()
) -> TreeDiff:
    result = TreeDiff(waves={**_waves(old), **_waves(new)})
    removed = {k: v for k, v in old.items() if k not in new}
    added = {k: v for k, v in new.items() if k not in old}
    # A rename: same group/kind/namespace and identical content apart from the name.
    by_content = {(k[0], k[1], k[2], _without_name(v.body)): k for k, v in removed.items()}
    for key, resource in sorted(added.items()):
        match = by_content.pop((key[0], key[1], key[2], _without_name(resource.body)), None)
        if match is not None:
            gone = removed.pop(match)
            result.resources.append(
                ResourceDiff(
                    "renamed",
                    resource.label(),
                    resource.release,
                    resource.path,
                    old_label=gone.label(),
                )
            )
            continue
        result.resources.append(
            ResourceDiff("added", resource.label(), resource.release, resource.path)
        )
    for resource in sorted(removed.values(), key=lambda r: r.key):
        result.resources.append(
            ResourceDiff("removed", resource.label(), resource.release, resource.path)
        )
    for key in sorted(set(old) & set(new)):
        changes: list[Change] = []
        _walk(old[key].body, new[key].body, "", changes)
        changes = [c for c in changes if not _ignored(c.path, ignore)]
        if changes:
            resource = new[key]
            result.resources.append(
                ResourceDiff(
                    "changed", resource.label(), resource.release, resource.path, tuple(changes)
                )
            )
    result.resources.sort(key=lambda r: (r.release, r.label, r.status))
    return result
