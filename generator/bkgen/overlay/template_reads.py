"""The global values a `templates:` release's own manifests read, each with its file:line.

A templates release (overlays/base/templates/<dir>/) has no values layers: its manifests
read the global values directly (`{{ values.localpv.count }}`). `bkgen explain ENV <release>
KEY` answers from these reads instead of "no value". Text only: nothing is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bkgen.errors import display_path
from bkgen.overlay.merge import KeyPath
from bkgen.overlay.provenance import references
from bkgen.safety import confine

if TYPE_CHECKING:
    from bkgen.overlay.catalog import Release
    from bkgen.overlay.load import Environment


@dataclass(frozen=True)
class Read:
    """One `values.*` reference in an owned template."""

    key: KeyPath
    source: str  # file, relative to the project root
    line: int


def template_reads(env: Environment, release: Release) -> list[Read]:
    """Every global key the release's templates read, in file then line order."""
    if release.templates is None:
        return []
    directory = env.base_dir / "templates" / release.templates
    reads: list[Read] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        shown = display_path(path, env.root)
        text = confine.read_text(path, env.root)
        for number, line in enumerate(text.splitlines(), start=1):
            reads.extend(Read(key, shown, number) for key in references(line, env.values))
    return reads


def reads_of(reads: list[Read], path: KeyPath) -> list[Read]:
    """The reads `path` names: the key itself, or its last segments (`count` for
    `localpv.count`), so the short name a user sees in a manifest finds its global."""
    return [r for r in reads if r.key == path or r.key[-len(path) :] == path]
