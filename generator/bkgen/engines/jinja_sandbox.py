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
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from bkgen.errors import Location, TemplateError
from bkgen.errors.suggest import KeyPath, closest_key_path
from bkgen.safety import limits
from bkgen.yamlio import dump


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


_SIZED_CALLS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap", "truncate"}
)


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus bounds on what one expression may build.

    jinja2's sandbox stops attribute games but not `'a' * 10**13`, `2 ** 10**9` or
    `'x' | center(10**9)`: each would take the process's memory before any output limit
    could look. Those operations are checked before they run.
    """

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limit = limits.current().max_string
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * max(times, 0) > limit:
                    raise TemplateError(
                        f"`*` would build {len(seq) * times} items (limit {limit})",
                        hint="raise BKGEN_MAX_STRING if this is intended",
                    )
        integers = isinstance(right, int) and isinstance(left, int)
        if operator == "**" and integers and abs(right) > 4096 and abs(left) > 1:
            raise TemplateError(f"`**` with exponent {right} is too large (limit 4096)")
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "")
        if name in _SIZED_CALLS or name.removeprefix("do_") in _SIZED_CALLS:
            _check_sizes(name, (*args, *kwargs.values()))
        return super().call(__context, __obj, *args, **kwargs)


def _check_sizes(name: str, arguments: Iterable[Any]) -> None:
    """Widths and counts given to a sizing call stay below the string limit."""
    limit = limits.current().max_string
    for value in arguments:
        if isinstance(value, int) and not isinstance(value, bool) and value > limit:
            raise TemplateError(f"{name}({value}) is too large (limit {limit})")


def _environment() -> ImmutableSandboxedEnvironment:
    env = _BoundedSandbox(
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
    for name in sorted(_SIZED_CALLS & set(env.filters)):
        env.filters[name] = _bounded(name, env.filters[name])
    # The sandbox's range (at most 100,000 items), not Python's.
    env.globals.update(range=safe_range)
    return env


def _bounded(name: str, func: Any) -> Any:
    """A filter whose integer arguments (widths, counts) stay below the string limit."""

    @wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_sizes(name, (*args[1:], *kwargs.values()))  # args[0] is the filtered value
        return func(*args, **kwargs)

    return bounded


class _TemplateTimeout(Exception):
    pass


@contextmanager
def _time_budget(seconds: int) -> Iterator[None]:
    """SIGALRM-based: only the main thread can take signals; elsewhere no budget applies
    (bkgen renders in the main thread of each process, the CLI and its workers alike)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _TemplateTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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
    budget = limits.current()
    try:
        with _time_budget(budget.template_seconds):
            output = template.render(**context)
    except _TemplateTimeout:
        raise TemplateError(
            f"template ran longer than {budget.template_seconds} s",
            location=Location(source),
            hint="raise BKGEN_TEMPLATE_SECONDS if this is intended",
        ) from None
    except MemoryError:
        raise TemplateError("template ran out of memory", location=Location(source)) from None
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
    if len(output) > budget.max_template_output:
        raise TemplateError(
            f"template output exceeds {budget.max_template_output} characters",
            location=Location(source),
            hint="raise BKGEN_MAX_TEMPLATE_OUTPUT if this is intended",
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
