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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen.charts.source import ChartSource, confined_copy
from bkgen.overlay.load import Environment

_READ = re.compile(r"\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


@dataclass(frozen=True)
class ChartPaths:
    name: str
    version: str
    defaults: Mapping[str, Any]  # the chart's coalesced defaults, subcharts included
    reads: frozenset[str]  # dotted paths the templates spell out

    def knows(self, path: tuple[str, ...]) -> bool:
        dotted = ".".join(path)
        # a path a template reads, one above it (a mapping it reads into), or one below it
        if any(
            r == dotted or r.startswith(dotted + ".") or dotted.startswith(r + ".")
            for r in self.reads
        ):
            return True
        node: Any = self.defaults
        for part in path:
            if not isinstance(node, Mapping) or not node:
                return True  # below a scalar, null, list or empty mapping
            if part not in node:
                return False
            node = node[part]
        return True


def chart_paths(env: Environment, source: ChartSource) -> ChartPaths | None:
    """What the chart at `source` defines, or None when it cannot be loaded here (the
    render then reports that with its own message)."""
    import helm_python

    try:
        if source.archive is not None:
            return _paths(helm_python.Chart.load_archive(source.archive))
        assert source.directory is not None
        with tempfile.TemporaryDirectory(prefix="bkgen-chart-") as scratch:
            copy = confined_copy(env, source.directory, Path(scratch))
            return _paths(helm_python.Chart.load(str(copy)))
    except helm_python.HelmError:
        return None


def _paths(chart: Any) -> ChartPaths:
    try:
        reads = {
            match
            for template in _templates(chart)
            for match in _READ.findall(str(template.get("data", "")))
        }
        return ChartPaths(
            name=str(chart.name),
            version=str(chart.version),
            defaults=chart.merge_values({}),
            reads=frozenset(reads),
        )
    finally:
        chart.close()


def _templates(chart: Any) -> Iterator[Mapping[str, Any]]:
    yield from chart.templates or []
    for dependency in chart.dependencies or []:
        yield from _templates(dependency) if hasattr(dependency, "templates") else ()
