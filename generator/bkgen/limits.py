"""The bounds on untrusted input that whoever runs bkgen may raise, each with its knob.

Overlays, templates and charts arrive in pull requests, so each input is bounded before it
can cost minutes or gigabytes. The limits are set by whoever runs bkgen (environment
variables of the CI job), never by the input itself: a pull request cannot raise them.

    BKGEN_MAX_INPUT_BYTES      one overlay or template file, checked before reading (5 MiB)
    BKGEN_MAX_DEPTH            nesting of a parsed document (100)
    BKGEN_MAX_TEMPLATE_OUTPUT  characters one template may produce (4 MiB)
    BKGEN_MAX_STRING           a string or list built by `*` inside a template (1 MiB)
    BKGEN_TEMPLATE_SECONDS     wall time of one template (20 s)
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


def current() -> Limits:
    return Limits(
        max_input_bytes=_int("BKGEN_MAX_INPUT_BYTES", 5 * 1024 * 1024),
        max_depth=_int("BKGEN_MAX_DEPTH", 100),
        max_template_output=_int("BKGEN_MAX_TEMPLATE_OUTPUT", 4 * 1024 * 1024),
        max_string=_int("BKGEN_MAX_STRING", 1024 * 1024),
        template_seconds=_int("BKGEN_TEMPLATE_SECONDS", 20),
    )
