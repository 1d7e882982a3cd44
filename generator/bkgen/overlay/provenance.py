"""Provenance through templates: from a release value back to the global layer that set it.

A release value written by a template line such as `imageRegistry: {{ values.imageRegistry }}`
was not decided in that template: its origin is one step further, in `values.yaml` or the
env's `custom.yaml`. `values.Merged` records the template line; this module reads that line,
finds the `values.*` it reads, and attaches the global chain of each, so `bkgen explain`
prints `overlays/prod/custom.yaml:9 → used by overlays/base/releases/bk-cmdb-values.yaml.j2:3`.

The same holds for helmfile's Go templates (`.yaml.gotmpl` layers of an imported tree):
`host: {{ .Values.mysql.host }}` reads the environment values, which are the global values
here (`.StateValues` and `.Environment.Values` are the same map).

A template line is matched to its references by text (neither engine keeps a source map); a
value computed from several references lists them all. Plain data in and out; no rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bkgen.overlay.merge import KeyPath, Merged, Origin, parse_key_path

_REFERENCE = re.compile(r"\bvalues((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\"[^\"]+\"\]|\['[^']+'\])+)")
_GO_REFERENCE = re.compile(
    r"(?<![\w.])\$?\.(?:Values|StateValues|Environment\.Values)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
)
TEMPLATE_SUFFIXES = (".j2", ".gotmpl")


@dataclass(frozen=True)
class Use:
    """A global value a template line read: its key and every origin, oldest first."""

    key: KeyPath
    chain: tuple[tuple[KeyPath, Origin], ...]

    @property
    def effective(self) -> Origin | None:
        """The origin of the value the template saw: the last layer that set exactly `key`."""
        exact = [origin for sub, origin in self.chain if sub == self.key]
        return exact[-1] if exact else (self.chain[-1][1] if self.chain else None)


@dataclass(frozen=True)
class Step:
    """One origin of a release value and, when a template took it from `values.*`, its uses."""

    key: KeyPath
    origin: Origin
    uses: tuple[Use, ...] = ()


def references(line: str, known: Merged, go: bool = False) -> list[KeyPath]:
    """`values.*` (jinja2) or `.Values.*` (`go`) key paths a template line reads, trimmed to
    what the global values hold."""
    found: list[KeyPath] = []
    for match in (_GO_REFERENCE if go else _REFERENCE).finditer(line):
        text = match.group(1).replace("['", '["').replace("']", '"]')
        try:
            path = parse_key_path(text.lstrip("."))
        except ValueError:
            continue
        # `values.domain.bkDomain | lower` is fine; `values.mysql.items()` is not a key:
        # keep the longest prefix that is a real global key.
        while path and path not in known.provenance:
            path = path[:-1]
        if path and path not in found:
            found.append(path)
    return found


def steps(root: Path, merged: Merged, path: KeyPath, global_values: Merged) -> list[Step]:
    """The chain of `path` in `merged`, each template step extended to its global origins."""
    lines: dict[str, list[str]] = {}
    out: list[Step] = []
    for sub, origin in merged.chain(path):
        uses: tuple[Use, ...] = ()
        if origin.source.endswith(TEMPLATE_SUFFIXES) and origin.line is not None:
            if origin.source not in lines:
                lines[origin.source] = _read_lines(root / origin.source)
            text = lines[origin.source]
            if 0 < origin.line <= len(text):
                uses = tuple(
                    Use(ref, tuple(global_values.chain(ref)))
                    for ref in references(
                        text[origin.line - 1], global_values, origin.source.endswith(".gotmpl")
                    )
                )
        out.append(Step(sub, origin, uses))
    return out


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []  # the render reports unreadable templates; explain just stops here
