"""The bounds on untrusted input that whoever runs bkgen may raise, each with its knob.

Overlays, templates and charts arrive in pull requests, so each input is bounded before it
can cost minutes or gigabytes. The limits are set by whoever runs bkgen (environment
variables of the CI job), never by the input itself: a pull request cannot raise them.

    BKGEN_MAX_INPUT_BYTES      one overlay or template file, checked before reading (5 MiB)
    BKGEN_MAX_DEPTH            nesting of a parsed document (100)
    BKGEN_MAX_TEMPLATE_OUTPUT  characters one template may produce (4 MiB)
    BKGEN_MAX_STRING           a string or list built by `*` inside a template (1 MiB)
    BKGEN_TEMPLATE_SECONDS     wall time of one template (20 s)
    BKGEN_CHART_SECONDS        wall time of one chart in the Helm engine (60 s)
    BKGEN_CHART_MEMORY_MIB     address space of the Helm engine's child process (2048 MiB)
    BKGEN_MAX_CHART_OUTPUT     characters one chart may render (32 MiB)
    BKGEN_MAX_CHART_OBJECTS    objects one chart may render (5,000)
    BKGEN_MAX_CHART_TEMPLATES  templates in one chart, its subcharts included (2,000)
    range()                    jinja2's sandbox cap: 100,000 items

Fixed bounds (alias expansion, chart archive, files per chart, repository index, validated
file) sit beside the code they protect; docs/security.md lists every bound.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bkgen.errors import UsageError


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise UsageError(f"{name} must be positive")
    return value


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int
    max_depth: int
    max_template_output: int
    max_string: int
    template_seconds: int
    chart_seconds: int
    chart_memory: int  # bytes
    max_chart_output: int
    max_chart_objects: int
    max_chart_templates: int


def current() -> Limits:
    return Limits(
        max_input_bytes=_int("BKGEN_MAX_INPUT_BYTES", 5 * 1024 * 1024),
        max_depth=_int("BKGEN_MAX_DEPTH", 100),
        max_template_output=_int("BKGEN_MAX_TEMPLATE_OUTPUT", 4 * 1024 * 1024),
        max_string=_int("BKGEN_MAX_STRING", 1024 * 1024),
        template_seconds=_int("BKGEN_TEMPLATE_SECONDS", 20),
        chart_seconds=_int("BKGEN_CHART_SECONDS", 60),
        chart_memory=_int("BKGEN_CHART_MEMORY_MIB", 2048) * 1024 * 1024,
        max_chart_output=_int("BKGEN_MAX_CHART_OUTPUT", 32 * 1024 * 1024),
        max_chart_objects=_int("BKGEN_MAX_CHART_OBJECTS", 5000),
        max_chart_templates=_int("BKGEN_MAX_CHART_TEMPLATES", 2000),
    )
