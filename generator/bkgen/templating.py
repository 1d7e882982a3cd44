"""jinja2 for overlay values and manifest templates, sandboxed.

Templates arrive in pull requests, so they run in an `ImmutableSandboxedEnvironment`
(no attribute games, no mutation of the context) with `StrictUndefined` (a typo
is an error, never an empty string). Errors become `TemplateError` with the
template's file and line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bkgen.errors import Location, TemplateError
from bkgen.suggest import KeyPath, closest_key_path
from bkgen.yamlio import dump

MAX_OUTPUT_CHARS = 2 * 1024 * 1024  # a template that writes megabytes is a loop gone wrong


def _to_yaml(value: Any, indent: int = 0) -> str:
    text = dump(value).rstrip("\n")
    if indent:
        pad = " " * indent
        text = "\n".join(pad + line if line else line for line in text.splitlines())
    return text


def _b64encode(value: str) -> str:
    return base64.b64encode(str(value).encode()).decode()


def _sha256(value: str) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


def _required(value: Any, message: str = "a required value is empty") -> Any:
    if value in (None, ""):
        raise TemplateError(message)
    return value


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML, not HTML
    )
    env.filters.update(
        to_yaml=_to_yaml,
        to_json=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False),
        b64encode=_b64encode,
        sha256=_sha256,
        required=_required,
        quote=lambda v: json.dumps(str(v), ensure_ascii=False),
    )
    env.globals.update(range=range)
    return env


_ENV = _environment()


@lru_cache(maxsize=1024)
def _compiled(text: str) -> jinja2.Template:
    """Compiling dominates small templates; a fleet render sees the same base files per env."""
    return _ENV.from_string(text)


def render_template(text: str, source: str, context: Mapping[str, Any]) -> str:
    """Render `text` (named `source` in errors) with `context`; never leaks a traceback."""
    try:
        template = _compiled(text)
    except TemplateSyntaxError as err:
        raise TemplateError(
            f"template syntax: {err.message}", location=Location(source, err.lineno)
        ) from None
    try:
        output = template.render(**context)
    except UndefinedError as err:
        line = _failing_line(err)
        missing = _missing_path(text, line, context)
        meant = closest_key_path(missing[1:], context.get(missing[0])) if missing else None
        raise TemplateError(
            f"undefined variable: {'.'.join(missing) if missing else err.message}",
            location=Location(source, line),
            hint=f"did you mean '{'.'.join((missing[0], *meant))}'?"
            if missing and meant
            else "define it in values.yaml/custom.yaml or guard it with `is defined`",
        ) from None
    except SecurityError as err:
        raise TemplateError(
            f"refused unsafe template operation: {err}",
            location=Location(source, _failing_line(err)),
        ) from None
    except TemplateError as err:
        raise TemplateError(err.message, location=Location(source, _failing_line(err))) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        raise TemplateError(
            f"template failed: {err}", location=Location(source, _failing_line(err))
        ) from None
    except RecursionError:
        raise TemplateError("template recursion too deep", location=Location(source)) from None
    if len(output) > MAX_OUTPUT_CHARS:
        raise TemplateError(
            f"template output exceeds {MAX_OUTPUT_CHARS} characters", location=Location(source)
        )
    return output


_REFERENCE = re.compile(r"\b(values|env|release)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def _missing_path(text: str, line: int | None, context: Mapping[str, Any]) -> KeyPath | None:
    """The first `values.a.b` on the failing line that the context does not hold, up to the
    segment that is missing: jinja2 only says "'dict object' has no attribute 'b'"."""
    if line is None:
        return None
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    for match in _REFERENCE.finditer(lines[line - 1]):
        root, rest = match.group(1), match.group(2).split(".")[1:]
        node: Any = context.get(root)
        for depth, part in enumerate(rest):
            if not isinstance(node, Mapping) or part not in node:
                return (root, *rest[: depth + 1])
            node = node[part]
    return None


def _failing_line(err: BaseException) -> int | None:
    """The template line from the traceback jinja2 rewrites to point into the template."""
    line = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
