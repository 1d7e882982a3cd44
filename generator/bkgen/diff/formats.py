"""Diff output: terminal, markdown for a PR comment, json; selected by name (`-o`).

Every format starts with what was compared (the base ref and why it was chosen), then per
environment a plan table of the Applications that will sync, then details per Application in
wave order. Markdown keeps a size budget (a code host refuses bigger comments) and cuts only
between applications or resources, saying what was left out and where the full report is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bkgen.diff import MARKDOWN_LIMIT, repeats
from bkgen.diff.compare import TreeDiff
from bkgen.diff.present import (
    app_rows,
    change_json,
    change_lines,
    plan_line,
    resource_lines,
    wave_cell,
    wave_note,
)
from bkgen.secrets.masking import mask_resource

_NOTE_RESERVE = 700  # room kept for the truncation note and the closing tags
_COLOUR = {"+": "\033[32m", "-": "\033[31m", "~": "\033[33m", ">": "\033[36m", "@": "\033[36m"}


@dataclass(frozen=True)
class DiffReport:
    """What a diff run found: one `TreeDiff` per environment and what was compared."""

    envs: Sequence[TreeDiff]
    base: str = ""  # e.g. "base 1cf62e5a (merge base with main), head: working tree"
    ignore: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return all(d.empty for d in self.envs)


@dataclass(frozen=True)
class RenderOptions:
    colour: bool = False
    limit: int = MARKDOWN_LIMIT
    full_report: str = ""  # where the uncut report was written (--output-file)


Renderer = Callable[[DiffReport, RenderOptions], str]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(func: Renderer) -> Renderer:
        RENDERERS[name] = func
        return func

    return register


def _title(diff: TreeDiff) -> str:
    return diff.env or "(tree)"


def _ignored_note(diff: TreeDiff, code: str = "") -> str:
    if not diff.ignored_count:
        return ""
    return (
        f"{diff.ignored_count} change(s) in ignored fields not shown "
        f"({code}-o json{code} lists them with {code}ignored: true{code})"
    )


def _folded_note(diff: TreeDiff, code: str = "") -> str:
    """Where chart values are reviewed; `code` quotes paths (a backtick in markdown)."""
    shown = [r for r in diff.folded if r in diff.by_release()]
    if not shown:
        return ""
    return (
        f"Helm values are reviewed once, as {code}releases/RELEASE/values.yaml{code}; the "
        f"Application's {code}spec.source.helm.valuesObject{code} carries the same values "
        f"({', '.join(shown)})"
    )


def _paint(line: str, colour: bool) -> str:
    code = _COLOUR.get(line[:1]) if colour else None
    return f"{code}{line}\033[0m" if code else line


@renderer("text")  # the CLI reads `terminal`, this format's old name, as `text`
def terminal(report: DiffReport, options: RenderOptions) -> str:
    out: list[str] = [f"bkgen diff: {report.base}"] if report.base else []
    for diff in report.envs:
        if diff.empty:
            tail = f" ({diff.ignored_count} change(s) in ignored fields)" if diff.differs else ""
            out.append(f"== {_title(diff)}: no differences{tail}")
            continue
        out.append(f"== {_title(diff)}: {plan_line(diff)}")
        out += [f"  !! {r.severity}: {r.message}" for r in diff.risks]
        rows = app_rows(diff)
        width = max(len("APPLICATION"), *(len(r.release) for r in rows))
        waves = max(4, *(len(r.wave_cell) for r in rows))
        out.append(f"  {'APPLICATION':<{width}}  {'WAVE':>{waves}}  ADDED / CHANGED / REMOVED")
        for row in rows:
            shown_wave = row.wave_cell
            cells = " / ".join(c or "-" for c in (row.added, row.changed, row.removed))
            out.append(f"  {row.release:<{width}}  {shown_wave:>{waves}}  {cells}")
        for note in (_ignored_note(diff), _folded_note(diff), wave_note(diff)):
            if note:
                out.append(f"  note: {note}")
        if diff.by_hand:
            out.append("  apply by hand after merge (not synced by Argo CD):")
            out += [f"    {command}" for command in diff.by_hand]
        shared = repeats.find(diff)
        if shared:
            out.append(f"-- {_title(diff)}: repeated changes, shown once")
            for repeat in shared:
                out.append(f"  {_repeat_head(repeat)}")
                out += [f"  {_paint(line, options.colour)}" for line in change_lines(repeat.change)]
        for release, items in diff.by_release().items():
            wave = wave_cell(diff, release)
            suffix = f" (sync-wave {wave})" if wave else ""
            out.append(f"-- {_title(diff)} / {release or '(tree)'}{suffix}")
            for item in items:
                lines = resource_lines(repeats.without(item, shared))
                out += [f"  {_paint(line, options.colour)}" for line in lines]
    if not report.envs:
        out.append("no environments compared")
    return "\n".join(out) + "\n"


def _repeat_head(repeat: repeats.Repeat) -> str:
    return f"= in {len(repeat.releases)} applications: {', '.join(repeat.releases)}"


def summary_line(diff: TreeDiff) -> str:
    """One line per environment, first in a comment so that a cut never hides it."""
    if diff.empty:
        tail = f" ({diff.ignored_count} change(s) in ignored fields)" if diff.differs else ""
        return f"no differences{tail}"
    text = plan_line(diff)
    if diff.risks:
        counts: dict[str, int] = {}
        for risk in diff.risks:
            counts[risk.severity] = counts.get(risk.severity, 0) + 1
        text += f"; {len(diff.risks)} warning(s): " + ", ".join(
            f"{n} {severity}" for severity, n in counts.items()
        )
    return text


@dataclass
class _Unit:
    text: str
    closer: str = ""  # what must follow if the output stops right after this unit
    resources: int = 0
    app: str = ""


def _markdown_units(report: DiffReport) -> list[_Unit]:
    units: list[_Unit] = []
    for diff in report.envs:
        if diff.empty:
            tail = f" ({diff.ignored_count} change(s) in ignored fields)" if diff.differs else ""
            units.append(_Unit(f"#### {_title(diff)}: no differences{tail}\n\n"))
            continue
        risks = "".join(f"- **{r.severity}**: {r.message}\n" for r in diff.risks)
        units.append(
            _Unit(
                f"#### {_title(diff)}: {plan_line(diff)}\n\n"
                + (f"{risks}\n" if risks else "")
                + "| Application | Wave | Added | Changed | Removed |\n|---|---:|---|---|---|\n"
            )
        )
        for row in app_rows(diff):
            cell = row.wave_cell
            units.append(
                _Unit(f"| {row.release} | {cell} | {row.added} | {row.changed} | {row.removed} |\n")
            )
        notes = [
            n for n in (_ignored_note(diff, "`"), _folded_note(diff, "`"), wave_note(diff)) if n
        ]
        text = "\n" + "".join(f"{n}.\n\n" for n in notes)
        if diff.by_hand:
            text += "**Apply by hand after merge** (not synced by Argo CD):\n" + "".join(
                f"- `{command}`\n" for command in diff.by_hand
            )
            text += "\n"
        units.append(_Unit(text))
        shared = repeats.find(diff)
        if shared:
            block = "".join(
                f"{_repeat_head(r)}\n"
                + "".join(f"{line}\n" for line in change_lines(r.change, True))
                for r in shared
            )
            block = block.replace("```", "`\u200b``")
            units.append(_Unit(f"Repeated changes, shown once:\n\n```diff\n{block}```\n\n"))
        for release, items in diff.by_release().items():
            wave = wave_cell(diff, release)
            suffix = f" — sync-wave {wave}" if wave else ""
            counts: dict[str, int] = {}
            for item in items:
                counts[item.status] = counts.get(item.status, 0) + 1
            brief = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            app = f"{_title(diff)}/{release}"
            closer = "```\n\n</details>\n\n"
            units.append(
                _Unit(
                    f"<details><summary><b>{release or '(tree)'}</b>{suffix} ({brief})</summary>"
                    "\n\n```diff\n",
                    closer,
                    app=app,
                )
            )
            for item in items:
                lines = resource_lines(repeats.without(item, shared), paired=True)
                text = "".join(f"{line}\n" for line in lines)
                units.append(_Unit(text.replace("```", "`\u200b``"), closer, 1, app))
            units.append(_Unit(closer, app=app))
    return units


@renderer("markdown")
def markdown(report: DiffReport, options: RenderOptions) -> str:
    head = f"### bkgen diff\n\n{report.base}\n\n" if report.base else "### bkgen diff\n\n"
    if report.empty and not any(d.differs for d in report.envs):
        return head + "No differences in the rendered manifests.\n"
    units = _markdown_units(report)
    head += "".join(f"- **{_title(d)}**: {summary_line(d)}\n" for d in report.envs) + "\n"
    text, closer = head, ""
    opened = -1  # where the text stood before an application's (still empty) section opened
    for index, unit in enumerate(units):
        if len(text) + len(unit.text) + len(unit.closer) + _NOTE_RESERVE > options.limit:
            if opened >= 0:  # no resource of that application fits: drop its empty section
                text, closer, index = text[:opened], "", index - 1
            rest = units[index:]
            left = sum(u.resources for u in rest)
            apps = len({u.app for u in rest if u.app and u.resources})
            where = (
                f"the full report is in `{options.full_report}` (CI artifact)"
                if options.full_report
                else "run `bkgen diff --output-file FILE` for the full report"
            )
            chars = sum(len(u.text) for u in rest)
            return (
                f"{text}{closer}\n**Truncated** at the comment size limit ({options.limit:,} "
                f"characters): {left} resource(s) in {apps} application(s) not shown "
                f"({chars:,} characters); {where}.\n"
            )
        opened = len(text) if unit.closer and not unit.resources else -1
        text += unit.text
        closer = unit.closer
    return text


@renderer("json")
def as_json(report: DiffReport, options: RenderOptions) -> str:
    envs = []
    for diff in report.envs:
        apps: dict[str, list[dict[str, Any]]] = {}
        for item in [*diff.resources, *diff.quiet]:
            entry: dict[str, Any] = {
                "status": item.status if item.changes or item.status != "changed" else "ignored",
                "kind": item.kind,
                "resource": item.label,
                "path": item.path,
                "renamedFrom": item.old_label or None,
                "note": item.note or None,
                "changes": [change_json(c, False) for c in item.changes]
                + [change_json(c, True) for c in item.ignored],
            }
            if item.body is not None:
                entry["manifest"] = mask_resource(item.body)
            apps.setdefault(item.release, []).append(entry)
        counts = diff.counts()
        envs.append(
            {
                "env": diff.env or None,
                "summary": {**counts, "ignored": diff.ignored_count},
                "valuesReviewedAsValuesFile": list(diff.folded),
                "waveMoves": [
                    {"release": m.release, "old": m.old, "new": m.new, "cause": m.cause}
                    for m in diff.wave_moves
                ],
                "applyByHand": list(diff.by_hand),
                "risks": [
                    {
                        "severity": r.severity,
                        "release": r.release,
                        "resource": r.resource,
                        "message": r.message,
                    }
                    for r in diff.risks
                ],
                "applications": [
                    {"release": release, "wave": diff.waves.get(release), "resources": items}
                    for release, items in sorted(
                        apps.items(), key=lambda kv: (diff.waves.get(kv[0], 10**6), kv[0])
                    )
                ],
            }
        )
    data = {"base": report.base or None, "ignore": list(report.ignore), "environments": envs}
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
