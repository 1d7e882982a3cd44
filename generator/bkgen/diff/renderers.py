"""Diff output: terminal (coloured), markdown for a PR comment, json; selected by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bkgen.diff.engine import ResourceDiff, TreeDiff

Renderer = Callable[[TreeDiff, bool], str]
RENDERERS: dict[str, Renderer] = {}
MARKDOWN_LIMIT = 60_000  # GitHub caps a comment at 65,536 characters
_SIGN = {"added": "+", "removed": "-", "changed": "~", "renamed": ">"}
_COLOUR = {"added": "\033[32m", "removed": "\033[31m", "changed": "\033[33m", "renamed": "\033[36m"}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(func: Renderer) -> Renderer:
        RENDERERS[name] = func
        return func

    return register


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def summary(diff: TreeDiff) -> str:
    counts = diff.counts()
    apps = len(diff.by_release())
    return (
        f"{apps} application(s) will sync: {counts['added']} added, {counts['removed']} removed, "
        f"{counts['changed']} changed, {counts['renamed']} renamed"
    )


def _resource_lines(item: ResourceDiff) -> list[str]:
    head = f"{_SIGN[item.status]} {item.label}"
    if item.status == "renamed":
        head += f" (renamed from {item.old_label})"
    lines = [head]
    lines += [f"    {c.path}: {_value(c.old)} -> {_value(c.new)}" for c in item.changes]
    return lines


@renderer("terminal")
def terminal(diff: TreeDiff, colour: bool) -> str:
    if diff.empty:
        return "no differences\n"
    out: list[str] = []
    for release, items in diff.by_release().items():
        wave = diff.waves.get(release)
        out.append(
            f"== {release or '(tree)'}" + (f" (sync-wave {wave})" if wave is not None else "")
        )
        for item in items:
            lines = _resource_lines(item)
            if colour:
                lines[0] = f"{_COLOUR[item.status]}{lines[0]}\033[0m"
            out += [f"  {line}" for line in lines]
    out.append(summary(diff))
    return "\n".join(out) + "\n"


@renderer("markdown")
def markdown(diff: TreeDiff, colour: bool) -> str:
    if diff.empty:
        return "**bkgen diff**: no differences in the rendered manifests.\n"
    groups = diff.by_release()
    out = [f"### bkgen diff\n\n{summary(diff)}\n", "```mermaid", "flowchart LR"]
    waves: dict[int, list[str]] = {}
    for release in groups:
        waves.setdefault(diff.waves.get(release, -1), []).append(release)
    previous = None
    for wave in sorted(waves):
        node = f"w{wave + 1}"
        names = "<br/>".join(waves[wave])
        out.append(f'  {node}["wave {wave if wave >= 0 else "?"}<br/>{names}"]')
        if previous:
            out.append(f"  {previous} --> {node}")
        previous = node
    out.append("```\n")
    body: list[str] = []
    for release, items in groups.items():
        app_wave = diff.waves.get(release)
        suffix = f" — sync-wave {app_wave}" if app_wave is not None else ""
        title = f"{release or '(tree)'}{suffix}"
        counts = {s: sum(1 for i in items if i.status == s) for s in _SIGN}
        brief = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        lines = [f"<details><summary><b>{title}</b> ({brief})</summary>\n", "```diff"]
        for item in items:
            lines += _resource_lines(item)
        lines += ["```", "</details>\n"]
        body.append("\n".join(lines))
    text = "\n".join(out)
    for index, block in enumerate(body):
        if len(text) + len(block) > MARKDOWN_LIMIT:
            text += (
                f"\n**Truncated**: {len(body) - index} more application(s) not shown "
                f"(comment size limit); run `bkgen diff` locally for the full diff.\n"
            )
            break
        text += "\n" + block
    return text + "\n"


@renderer("json")
def as_json(diff: TreeDiff, colour: bool) -> str:
    data = {
        "summary": diff.counts(),
        "applications": [
            {
                "release": release,
                "wave": diff.waves.get(release),
                "resources": [
                    {
                        "status": i.status,
                        "resource": i.label,
                        "path": i.path,
                        "renamedFrom": i.old_label or None,
                        "changes": [
                            {"path": c.path, "old": c.old, "new": c.new} for c in i.changes
                        ],
                    }
                    for i in items
                ],
            }
            for release, items in diff.by_release().items()
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
