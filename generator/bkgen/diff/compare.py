"""Compare two trees: added, removed, renamed, changed (field by field), raw values.

Lists are compared in order (`lists`: a reordering is a change, shown as moves); renames,
with or without edits, are paired by similarity (`renames`); what a change means for data and
how each object reaches the cluster are added last (`data_risk`, `labels`).

Values are compared as they are, never masked: a sensitive change is a change, it is only
*shown* without its value (each `Change` says whether it is sensitive; renderers mask). Fields
a reviewer does not need can be ignored by path, but an ignored change is kept and counted, so
nothing disappears silently. A chart release's values exist twice in a rendered tree (the
Application's `valuesObject` and `releases/<r>/values.yaml`); they are reviewed once, as the
values file, whenever both copies agree on both sides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bkgen.diff.data_risk import assess, rename_note
from bkgen.diff.labels import WaveMove, label, wave_moves, waves
from bkgen.diff.lists import MISSING as _MISSING
from bkgen.diff.lists import walk_list
from bkgen.diff.model import VALUES_GROUP, Change, Key, Resource, ResourceDiff, Risk
from bkgen.diff.renames import pair_renames, renamed_with_name
from bkgen.overlay.merge import lookup
from bkgen.secrets.masking import child_sensitive, is_secret, is_secret_ref

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
VALUES_PATH = ("spec", "source", "helm", "valuesObject")
# Fields no reviewer needs: Helm's chart label and checksum annotations (counted, not shown).
DEFAULT_IGNORE = ('*labels["helm.sh/chart"]', '*annotations["checksum/*"]')


def segment(key: object) -> str:
    """A mapping key as a path segment: `a`, or `["a.b/c"]` when it holds other characters."""
    text = str(key)
    return text if _PLAIN_KEY.match(text) else json.dumps(text, ensure_ascii=False).join("[]")


def join(segments: Sequence[str]) -> str:
    return "".join(s if s.startswith("[") or i == 0 else f".{s}" for i, s in enumerate(segments))


@dataclass
class TreeDiff:
    resources: list[ResourceDiff] = field(default_factory=list)
    waves: dict[str, int] = field(default_factory=dict)  # release -> sync-wave (head, else base)
    old_waves: dict[str, int] = field(default_factory=dict)  # release -> sync-wave at the base
    wave_moves: list[WaveMove] = field(default_factory=list)  # causes first, then shifted
    by_hand: tuple[str, ...] = ()  # commands to run after the merge (bootstrap objects)
    quiet: list[ResourceDiff] = field(default_factory=list)  # only ignored changes
    folded: tuple[str, ...] = ()  # releases whose valuesObject is reviewed as values.yaml
    risks: list[Risk] = field(default_factory=list)  # shown first (`data_risk`)
    env: str = ""
    sync: bool = True  # False when two environments are compared: nothing will sync

    @property
    def empty(self) -> bool:
        return not self.resources

    @property
    def ignored_count(self) -> int:
        return sum(len(r.ignored) for r in (*self.resources, *self.quiet))

    @property
    def differs(self) -> bool:
        """True when anything differs, ignored fields included."""
        return bool(self.resources) or bool(self.ignored_count)

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


class _Walker:
    """Field-by-field comparison that tracks sensitivity on the way down."""

    def __init__(self, secret_top: bool) -> None:
        self.secret_top = secret_top
        self.out: list[Change] = []

    def emit(
        self, segs: list[str], old: Any, new: Any, sensitive: bool, moved: Any = _MISSING
    ) -> None:
        if moved is not _MISSING:
            self.out.append(Change(join(segs), old, new, "moved", sensitive, moved))
            return
        kind = "added" if old is _MISSING else "removed" if new is _MISSING else "changed"
        self.out.append(
            Change(
                join(segs),
                None if old is _MISSING else old,
                None if new is _MISSING else new,
                kind,
                sensitive,
            )
        )

    def walk(self, old: Any, new: Any, segs: list[str], sensitive: bool) -> None:
        if is_secret_ref(old) or is_secret_ref(new):
            sensitive = False  # a reference, never a value: shown in full
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            top = not segs and self.secret_top
            for key in sorted(set(old) | set(new), key=str):
                child = child_sensitive(old, key, sensitive, top) or child_sensitive(
                    new, key, sensitive, top
                )
                self.walk(
                    old.get(key, _MISSING), new.get(key, _MISSING), [*segs, segment(key)], child
                )
            return
        if isinstance(old, list) and isinstance(new, list):
            walk_list(self, old, new, segs, sensitive)
            return
        if old is _MISSING or new is _MISSING or type(old) is not type(new) or old != new:
            self.emit(segs, old, new, sensitive)


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every difference between two bodies of the same resource."""
    walker = _Walker(is_secret(old) or is_secret(new))
    walker.walk(old, new, [], False)
    return walker.out


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")))


def _unquoted(path: str) -> str:
    return re.sub(r'\["((?:[^"\\]|\\.)*)"\]', lambda m: "." + json.loads(f'"{m.group(1)}"'), path)


def ignored(path: str, patterns: Iterable[re.Pattern[str]]) -> bool:
    """A pattern matches the path or one of its ancestors, quoted or plainly dotted."""
    forms = {path, _unquoted(path)}
    for pattern in patterns:
        for form in forms:
            match = pattern.match(form)
            if match and (match.end() == len(form) or form[match.end()] in ".["):
                return True
    return False


def _foldable(tree: Mapping[Key, Resource]) -> dict[Key, str]:
    """Applications whose valuesObject equals their release's values.yaml -> release."""
    out = {}
    for key, resource in tree.items():
        if key[1] != "Application" or not key[0].startswith("argoproj.io"):
            continue
        values = tree.get((VALUES_GROUP, "Values", "", resource.release))
        if values is None:
            continue
        try:
            carried = lookup(resource.body, VALUES_PATH)
        except KeyError:
            continue
        if carried == values.body:
            out[key] = resource.release
    return out


def _fold(resource: Resource) -> Resource:
    body = json.loads(json.dumps(resource.body, default=str))
    helm = body["spec"]["source"]["helm"]
    helm["valuesObject"] = f"(reviewed as releases/{resource.release}/values.yaml)"
    return Resource(resource.key, resource.path, body)


def _folded_trees(
    old: Mapping[Key, Resource], new: Mapping[Key, Resource]
) -> tuple[dict[Key, Resource], dict[Key, Resource], tuple[str, ...]]:
    left, right = _foldable(old), _foldable(new)
    # Fold only where every side that has the Application agrees: otherwise both are shown.
    keys = {
        k for k in {*left, *right} if (k not in old or k in left) and (k not in new or k in right)
    }
    old_out = {k: _fold(v) if k in keys else v for k, v in old.items()}
    new_out = {k: _fold(v) if k in keys else v for k, v in new.items()}
    releases = sorted({*(left.get(k, "") for k in keys), *(right.get(k, "") for k in keys)} - {""})
    return old_out, new_out, tuple(releases)


def diff_trees(
    old: Mapping[Key, Resource],
    new: Mapping[Key, Resource],
    ignore: Sequence[str] = (),
    env: str = "",
) -> TreeDiff:
    old, new, folded = _folded_trees(old, new)
    patterns = [_glob(p) for p in ignore]
    result = TreeDiff(
        waves={**waves(old), **waves(new)},
        old_waves=waves(old),
        wave_moves=wave_moves(old, new),
        folded=folded,
        env=env,
    )
    removed = {k: v for k, v in old.items() if k not in new}
    added = {k: v for k, v in new.items() if k not in old}
    for old_key, key in pair_renames(removed, added):
        gone, resource = removed.pop(old_key), added.pop(key)
        changes = compare(renamed_with_name(gone, key[3]), resource.body)
        result.resources.append(
            ResourceDiff(
                "renamed",
                key,
                resource.label(),
                resource.release,
                resource.path,
                tuple(c for c in changes if not ignored(c.path, patterns)),
                tuple(c for c in changes if ignored(c.path, patterns)),
                old_label=gone.label(),
                old_key=old_key,
            )
        )
    for key, resource in sorted(added.items()):
        result.resources.append(
            ResourceDiff(
                "added", key, resource.label(), resource.release, resource.path, body=resource.body
            )
        )
    for resource in sorted(removed.values(), key=lambda r: r.key):
        result.resources.append(
            ResourceDiff(
                "removed",
                resource.key,
                resource.label(),
                resource.release,
                resource.path,
                body=resource.body,
            )
        )
    for key in sorted(set(old) & set(new)):
        changes = compare(old[key].body, new[key].body)
        if not changes:
            continue
        shown = tuple(c for c in changes if not ignored(c.path, patterns))
        hidden = tuple(c for c in changes if ignored(c.path, patterns))
        resource = new[key]
        note = ""
        if resource.is_values and resource.release in folded:
            note = "same values as the Application's valuesObject"
        item = ResourceDiff(
            "changed",
            key,
            resource.label(),
            resource.release,
            resource.path,
            shown,
            hidden,
            note=note,
        )
        (result.resources if shown else result.quiet).append(item)
    result.resources = [replace(r, note=rename_note(r) or r.note) for r in result.resources]
    result.resources.sort(key=lambda r: (r.release, r.status != "changed", r.label, r.status))
    result.resources, result.by_hand = label(result.resources, old, new, env)
    result.risks = assess(result.resources, old)
    return result
