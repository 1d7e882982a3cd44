"""One resource's changes as lines a reviewer reads: masked, complete, never truncated.

Every value printed by any diff output passes through here (or `masking` directly), so the
rule "compare raw, show masked" lives in one place. A changed multi-line string becomes a
unified diff of its lines; an added resource is shown in full; a removed one by name, kind
and size. Sensitive values are shown as changed at their path, without the value.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bkgen.diff.compare import TreeDiff
from bkgen.diff.labels import WaveMove, wave_text
from bkgen.diff.model import Change, Resource, ResourceDiff
from bkgen.secrets.masking import mask_lines, mask_resource, mask_value, worth_masking
from bkgen.yamlio import dump

SIGN = {"added": "+", "removed": "-", "changed": "~", "renamed": ">"}
CONTEXT = 3  # lines of context around a change inside a multi-line value
INDENT = "    "


def scalar(value: Any) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _block(value: Any, sign: str) -> list[str]:
    text = dump(value).rstrip("\n")
    return [f"{sign}{INDENT}  {line}" for line in text.split("\n")]


_VISIBLE = {"\r": "\u240d", "\t": "\u2409"}  # ␍ ␉: a CR or tab made visible
NO_NEWLINE = "\\ No newline at end of file"


def visible(line: str) -> str:
    """A changed line with what a reader cannot see made visible: CR as ␍, tab as ␉,
    trailing spaces as ␠ (a CRLF or trailing-space edit is a real change to a config)."""
    body = line.rstrip(" ")
    shown = "".join(_VISIBLE.get(ch, ch) for ch in body)
    return shown + "\u2420" * (len(line) - len(body))


def _lines(text: str) -> tuple[list[str], bool]:
    """The lines of a multi-line value and whether it ends with a newline."""
    lines = text.split("\n")
    final = lines[-1] == ""
    return (lines[:-1] if final else lines), final


def _text_diff(old: str, new: str) -> list[str]:
    """Unified diff of two multi-line strings; raw lines are compared, masked lines shown.
    A missing final newline is a difference of the last line, marked as git marks it."""
    a, a_final = _lines(old)
    b, b_final = _lines(new)
    # The last line without a newline differs from the same line with one (as in git).
    key_a = [*a[:-1], a[-1] + ("" if a_final else "\0")] if a else []
    key_b = [*b[:-1], b[-1] + ("" if b_final else "\0")] if b else []
    shown_a, shown_b = mask_lines(a), mask_lines(b)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, key_a, key_b, autojunk=False)

    def changed(sign: str, shown: list[str], lo: int, hi: int, final: bool, total: int) -> None:
        for n in range(lo, hi):
            out.append(f"{sign}{INDENT}  {visible(shown[n])}")
            if n == total - 1 and not final:
                out.append(f"{sign}{INDENT}  {NO_NEWLINE}")

    for group in matcher.get_grouped_opcodes(CONTEXT):
        first, last = group[0], group[-1]
        old_range = f"-{first[1] + 1},{last[2] - first[1]}"
        out.append(f" {INDENT}  @@ {old_range} +{first[3] + 1},{last[4] - first[3]} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [f" {INDENT}  {line}" for line in shown_a[i1:i2]]
                continue
            changed("-", shown_a, i1, i2, a_final, len(a))
            changed("+", shown_b, j1, j2, b_final, len(b))
    return out


def _moved_lines(change: Change) -> list[str]:
    """`...env[3] REDIS_HOST moved to env[0]`: the list path, the item, where it went."""
    path = change.path.rpartition("[")[0]
    leaf = path.replace("]", ".").rpartition(".")[2] or path
    item = mask_value(change.item, change.sensitive)
    name = item.get("name") if isinstance(item, Mapping) else None
    what = str(name) if isinstance(name, str) else scalar(item)
    return [f" {INDENT}{path}[{change.old}] {what} moved to {leaf}[{change.new}]"]


def change_lines(change: Change, paired: bool = False) -> list[str]:
    """Lines for one change. `paired` shows a changed scalar as a -/+ pair (markdown's diff
    colouring) instead of `old -> new` on one line (terminal)."""
    if change.kind == "moved":
        return _moved_lines(change)
    old, new = mask_value(change.old, change.sensitive), mask_value(change.new, change.sensitive)
    head = f" {INDENT}{change.path}:"
    pair = [f"-{INDENT}{change.path}: {scalar(old)}", f"+{INDENT}{change.path}: {scalar(new)}"]
    structured = isinstance(change.old, Mapping | list) or isinstance(change.new, Mapping | list)
    secret = worth_masking(change.old) or worth_masking(change.new)
    if change.sensitive and secret and not structured:
        return [f"{head} sensitive value {change.kind} (not shown)"]
    if change.kind == "changed" and isinstance(old, str) and isinstance(new, str):
        if "\n" in change.old or "\n" in change.new:
            return [head, *_text_diff(change.old, change.new)]
        if old == new:  # the difference is inside a credential (URL userinfo, key=value)
            return [f"{head} {scalar(old)} (changed in a hidden credential)"]
        return pair if paired else [f"{head} {scalar(old)} -> {scalar(new)}"]
    if change.kind == "added":
        if isinstance(new, Mapping | list) or (isinstance(new, str) and "\n" in new):
            return [f"{head} (added)", *_block(new, "+")]
        return [f"{head} {scalar(new)} (added)"]
    if change.kind == "removed":
        if isinstance(old, Mapping | list) or (isinstance(old, str) and "\n" in old):
            return [f"{head} (removed)", *_block(old, "-")]
        return [f"{head} {scalar(old)} (removed)"]
    if isinstance(old, Mapping | list) or isinstance(new, Mapping | list):
        return [f"{head} (replaced)", *_block(old, "-"), *_block(new, "+")]
    return pair if paired else [f"{head} {scalar(old)} -> {scalar(new)}"]


def resource_head(item: ResourceDiff) -> str:
    head = f"{SIGN[item.status]} {item.label}"
    if item.status == "renamed":
        head += f" (renamed from {item.old_label})"
    if item.status == "removed" and item.body is not None:
        size = Resource(item.key, item.path, item.body).size()
        head += f" (removed, {size} lines)"
    if item.note:
        head += f" — {item.note}"
    return head


def resource_lines(item: ResourceDiff, paired: bool = False) -> list[str]:
    """The resource's header line, then its details (sign in column 0 for diff colouring)."""
    lines = [resource_head(item)]
    if item.status == "added" and item.body is not None:
        text = dump(mask_resource(item.body)).rstrip("\n")
        lines += [f"+{INDENT}{line}" for line in text.split("\n")]
    for change in item.changes:
        lines += change_lines(change, paired)
    if item.ignored:
        lines.append(f" {INDENT}({len(item.ignored)} change(s) in ignored fields)")
    return [line.rstrip() for line in lines]


def kind_counts(items: list[ResourceDiff], status: str) -> str:
    counts: dict[str, int] = {}
    for item in items:
        if item.status == status:
            counts[item.kind] = counts.get(item.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


@dataclass(frozen=True)
class AppRow:
    release: str
    wave: int | None
    wave_cell: str  # "3", or "3 → 5" when the release's sync-wave moved
    added: str
    changed: str
    removed: str


def app_rows(diff: TreeDiff) -> list[AppRow]:
    """The Terraform-plan table: per Application, counts by kind (renames count as changes)."""
    rows = []
    for release, items in diff.by_release().items():
        changed = [
            ResourceDiff("changed", i.key, i.label, i.release, i.path)
            if i.status == "renamed"
            else i
            for i in items
        ]
        rows.append(
            AppRow(
                release or "(tree)",
                diff.waves.get(release),
                wave_cell(diff, release),
                kind_counts(items, "added"),
                kind_counts(changed, "changed"),
                kind_counts(items, "removed"),
            )
        )
    return rows


def wave_cell(diff: TreeDiff, release: str) -> str:
    for move in diff.wave_moves:
        if move.release == release:
            return wave_text(move.old, move.new)
    wave = diff.waves.get(release)
    return "" if wave is None else str(wave)


def wave_note(diff: TreeDiff) -> str:
    """Which releases moved in the sync order by their own change, which only shifted."""
    causes = [m for m in diff.wave_moves if m.cause]
    shifted = [m for m in diff.wave_moves if not m.cause]
    if not any(m.old is not None and m.new is not None for m in diff.wave_moves):
        return ""  # only added or removed releases: nothing else moved

    def listed(moves: list[WaveMove]) -> str:
        return ", ".join(f"{m.release} {wave_text(m.old, m.new)}" for m in moves)

    text = (
        "sync-waves moved by their own change (added, removed or needs changed): "
        f"{listed(causes) or 'none'}"
    )
    if shifted:
        text += f"; shifted by them (needs unchanged): {listed(shifted)}"
    return text


def plan_line(diff: TreeDiff) -> str:
    counts = diff.counts()
    apps = len(diff.by_release())
    renamed = f" ({counts['renamed']} renamed)" if counts["renamed"] else ""
    verb = "will sync" if diff.sync else "differ"
    text = (
        f"{apps} application(s) {verb}: {counts['added']} to add, "
        f"{counts['changed'] + counts['renamed']} to change{renamed}, "
        f"{counts['removed']} to remove"
    )
    if diff.ignored_count:
        text += f"; {diff.ignored_count} change(s) in ignored fields"
    return text


def change_json(change: Change, ignored: bool) -> dict[str, Any]:
    if change.kind == "moved":
        return {
            "path": change.path,
            "kind": "moved",
            "from": change.old,
            "to": change.new,
            "item": mask_value(change.item, change.sensitive),
            "sensitive": change.sensitive,
            "ignored": ignored,
        }
    return {
        "path": change.path,
        "kind": change.kind,
        "old": mask_value(change.old, change.sensitive),
        "new": mask_value(change.new, change.sensitive),
        "sensitive": change.sensitive,
        "ignored": ignored,
    }


__all__ = [
    "AppRow",
    "app_rows",
    "change_json",
    "change_lines",
    "plan_line",
    "resource_lines",
    "wave_cell",
    "wave_note",
]
