"""The value paths a chart defines: what a release's values may set when the chart is here.

BlueKing's charts ship no `values.schema.json`, so a key the chart does not read
(`mysql.host` where the chart reads `externalDatabase.default.host`) would render silently,
and the bundled MariaDB it was meant to replace would come up. The chart itself says what it
reads: its defaults (`values.yaml`, subcharts' coalesced under their names, their globals
under `global`), and the `.Values.a.b` paths its templates spell out (some charts read keys
their values.yaml only documents in a comment: bk-cmdb's `mongodb.externalMongodb.host`).

Below a default that is an empty mapping, a list, a scalar or null, anything goes: such a
value is free-form by design or replaced as a whole. A `{secretRef: …}` declaration is one
value. The Helm engine is loaded only here, when a chart is present.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from bkgen.charts.source import ChartSource, confined_copy
from bkgen.overlay.load import Environment

_READ = re.compile(r"\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
# `$e := .Values.externalConsul` … `$e.host` (bk-monitor 3.7.0), also `$root.Values.x`:
# a variable standing for a values path, in the same template file.
_ALIAS = re.compile(r"\$(\w+)\s*:=\s*\$?\w*\.Values(?:\.([A-Za-z0-9_.]+))?(?![\w.])")
_USE = re.compile(r"\$(\w+)\.([A-Za-z0-9_.]+)")


@dataclass(frozen=True)
class ListedPaths:
    """Dotted values paths someone spelled out (a chart's templates, a recorded upstream
    fact file) and what they vouch for: a listed path, one above it (a mapping read into)
    and anything below it (read whole, free-form)."""

    paths: frozenset[str]
    above: frozenset[str]  # every proper prefix of a listed path

    @classmethod
    def of(cls, paths: Iterable[str]) -> ListedPaths:
        listed = frozenset(paths)
        above = {p.rsplit(".", n)[0] for p in listed for n in range(1, p.count(".") + 1)}
        return cls(listed, frozenset(above))

    def covers(self, path: tuple[str, ...]) -> bool:
        dotted = ".".join(path)  # compared as text: a key may itself hold a dot
        return (
            dotted in self.paths
            or dotted in self.above
            or any(dotted[:i] in self.paths for i, c in enumerate(dotted) if c == ".")
        )


@dataclass(frozen=True)
class ChartPaths:
    name: str
    version: str
    defaults: Mapping[str, Any]  # the chart's coalesced defaults, subcharts included
    reads: frozenset[str]  # dotted paths the templates spell out
    schema: dict[str, Any] | None = None  # its values.schema.json, when it ships one

    @cached_property
    def _reads(self) -> ListedPaths:
        return ListedPaths.of(self.reads)

    def knows(self, path: tuple[str, ...]) -> bool:
        if self._reads.covers(path):
            return True
        node: Any = self.defaults
        for part in path:
            if not isinstance(node, Mapping) or not node:
                return True  # below a scalar, null, list or empty mapping
            if part not in node:
                return False
            node = node[part]
        return True


def template_reads(text: str) -> set[str]:
    """The dotted values paths a template file reads, through `$var := .Values.x` too."""
    found = set(_READ.findall(text))
    aliases = dict(_ALIAS.findall(text))
    for var, rest in _USE.findall(text):
        if var in aliases and not rest.startswith("Values"):
            found.add(f"{aliases[var]}.{rest}" if aliases[var] else rest)
    return found


def archive_paths(data: bytes) -> ChartPaths | None:
    """What the chart archive `data` defines (None when the engine cannot load it)."""
    import helm_python

    try:
        return _paths(helm_python.Chart.load_archive(data))
    except helm_python.HelmError:
        return None


def chart_paths(env: Environment, source: ChartSource) -> ChartPaths | None:
    """What the chart at `source` defines, or None when it cannot be loaded here (the
    render then reports that with its own message)."""
    import helm_python

    try:
        if source.archive is not None:
            return archive_paths(source.archive)
        assert source.directory is not None
        with tempfile.TemporaryDirectory(prefix="bkgen-chart-") as scratch:
            copy = confined_copy(env, source.directory, Path(scratch))
            return _paths(helm_python.Chart.load(str(copy)))
    except helm_python.HelmError:
        return None


def _paths(chart: Any) -> ChartPaths:
    try:
        reads = {
            path
            for template in _templates(chart)
            for path in template_reads(str(template.get("data", "")))
        }
        schema = chart.schema
        return ChartPaths(
            name=str(chart.name),
            version=str(chart.version),
            defaults=chart.merge_values({}),
            reads=frozenset(reads),
            schema=schema if isinstance(schema, dict) else None,
        )
    finally:
        chart.close()


def _templates(chart: Any) -> Iterator[Mapping[str, Any]]:
    yield from chart.templates or []
    for dependency in chart.dependencies or []:
        yield from _templates(dependency) if hasattr(dependency, "templates") else ()
