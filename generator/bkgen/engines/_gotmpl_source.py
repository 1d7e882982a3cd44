"""Turning helmfile's Go template dialect into one Helm's engine runs, line for line.

Helm's engine is helmfile's engine (Go text/template + sprig) with another root context and
another function list. Inside every `{{ … }}` action, outside its string literals and
comments, the helmfile-only names are rewritten to Helm equivalents; nothing else changes
and no newline is added or removed, so a line Helm reports is a line of the user's file.

What this must not do: evaluate anything itself (only literal arguments are looked at),
read a file or an environment variable (the caller's `Resolver` decides), or re-implement
a template function Helm has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ENV_ANNOTATION = "bkgen-environment"
REFUSED = {
    "exec": "bkgen never runs commands while rendering",
    "envExec": "bkgen never runs commands while rendering",
    "fetchSecretValue": "secrets are not fetched while rendering; reference them instead",
    "expandSecretRefs": "secrets are not fetched while rendering; reference them instead",
    "readDir": "directory listings are not supported",
    "readDirEntries": "directory listings are not supported",
}
_LITERAL_FUNCS = ("readFile", "isFile", "isDir", "env", "requiredEnv")
_PATH_FUNCS = ("getOrNil", "get", "setValueAtPath")
_STRING = r'"(?:[^"\\\n]|\\.)*"'
_TOKEN = re.compile(
    rf"{_STRING}|`[^`]*`|'(?:[^'\\\n]|\\.)*'|/\*.*?\*/"
    r"|(?P<ref>(?<![\w)\].$])\$?\.(?:Environment|StateValues|Release)\b(?:\.\w+)?)"
    rf"|(?P<fn>(?<![\w.$])(?:{'|'.join((*REFUSED, *_LITERAL_FUNCS, *_PATH_FUNCS))})\b)",
    re.S,
)
_ARG = re.compile(rf"\s+({_STRING})")


class SourceError(Exception):
    """A construct bkgen refuses, at a (1-based) line of the original file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Resolver:
    """What the rewriter may know of the outside world, decided by the caller.

    `read_file` returns a chart file name to `Files.Get`, or None when the file is absent
    (the template then fails there, when and if it runs that call); it raises SourceError
    to refuse a path. `is_file`/`is_dir` answer for a literal path; `env` gives an
    allow-listed variable's value or None.
    """

    read_file: Callable[[str, int], str | None]
    is_file: Callable[[str, int], bool]
    is_dir: Callable[[str, int], bool]
    env: Callable[[str], str | None]
    has_release: bool


def go_string(text: str) -> str:
    """A Go interpreted string literal: JSON's escapes are a subset of Go's."""
    return json.dumps(text)


def _fail(message: str) -> str:
    return f"(fail {go_string(message)})"


def _actions(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every action body: from after `{{` to before its `}}`."""
    pos = 0
    while (start := text.find("{{", pos)) >= 0:
        end = start + 2
        while end < len(text) and not text.startswith("}}", end):
            match = _TOKEN.match(text, end)
            end = match.end() if match and match.end() > end else end + 1
        yield start + 2, end
        pos = end + 2


def _operand_end(body: str, pos: int) -> int | None:
    """End of the operand starting after whitespace at `pos`, None at a pipe, `)` or the end."""
    while pos < len(body) and body[pos].isspace():
        pos += 1
    if (
        pos >= len(body)
        or body[pos] in "|)"
        or (body.startswith("-", pos) and pos + 1 == len(body))
    ):
        return None
    depth = 0
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if match and match.group(0)[:1] in "\"`'/" and match.end() > pos:
            pos = match.end()
            continue
        char = body[pos]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return pos
            depth -= 1
        elif depth == 0 and (char.isspace() or char == "|"):
            return pos
        pos += 1
    return pos


def _operands(body: str, pos: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    while (end := _operand_end(body, pos)) is not None:
        start = len(body[pos:end]) - len(body[pos:end].lstrip()) + pos
        spans.append((start, end))
        pos = end
    return spans


def _ref(text: str, has_release: bool) -> str:
    prefix, _, rest = text.partition(".")
    head, _, field = rest.partition(".")
    root = f"{prefix}."
    if head == "StateValues":
        return f"{root}Values" + (f".{field}" if field else "")
    if head == "Release":
        return text if has_release else _fail(".Release is only defined for a release's values")
    annotation = f"(index {root}Chart.Annotations {go_string(ENV_ANNOTATION)})"
    if field == "Name":
        return annotation
    if field == "Values":
        return f"{root}Values"
    if not field:
        return f'(dict "Name" {annotation} "Values" {root}Values)'
    raise ValueError(f".Environment.{field} is not supported (only .Name and .Values)")


def _keys(path: str) -> str:
    return " ".join(go_string(key) for key in path.split("."))


class _Body:
    """One action body being rewritten left to right."""

    def __init__(self, body: str, line_of: Callable[[int], int], resolver: Resolver) -> None:
        self.body = body
        self.line_of = line_of
        self.resolver = resolver

    def code(self, lo: int, hi: int) -> str:
        """body[lo:hi] rewritten; a call consumes its literal arguments (and operands)."""
        out: list[str] = []
        cursor = lo
        for match in _TOKEN.finditer(self.body, lo, hi):
            if match.start() < cursor or not (match.group("ref") or match.group("fn")):
                continue
            out.append(self.body[cursor : match.start()])
            if match.group("ref"):
                try:
                    out.append(_ref(match.group("ref"), self.resolver.has_release))
                except ValueError as err:
                    raise SourceError(self.line_of(match.start()), str(err)) from None
                cursor = match.end()
            else:
                replacement, cursor = self.function(match.group("fn"), match.end())
                out.append(replacement)
        out.append(self.body[cursor:hi])
        return "".join(out)

    def literal(self, name: str, at: int) -> tuple[str, int]:
        match = _ARG.match(self.body, at)
        if not match:
            raise SourceError(self.line_of(at), f"{name} needs a literal string argument here")
        try:
            value = json.loads(match.group(1))
        except ValueError:
            raise SourceError(self.line_of(at), f"{name}: unsupported string escape") from None
        return str(value), match.end()

    def function(self, name: str, at: int) -> tuple[str, int]:
        """The replacement for a call of `name` whose identifier ends at `at`."""
        line = self.line_of(at)
        if name in REFUSED:
            raise SourceError(line, f"{name} is refused: {REFUSED[name]}")
        if name in _PATH_FUNCS:
            return self.path_function(name, at)
        arg, end = self.literal(name, at)
        r = self.resolver
        if name == "readFile":
            chart_file = r.read_file(arg, line)
            if chart_file is None:
                return _fail(f"readFile {arg}: no such file"), end
            return f"($.Files.Get {go_string(chart_file)})", end
        if name in ("isFile", "isDir"):
            found = (r.is_file if name == "isFile" else r.is_dir)(arg, line)
            return ("true" if found else "false"), end
        value = r.env(arg)
        if value is None:
            return _fail(f"{name} {arg}: variable is not in bkgen's allow-list"), end
        if name == "requiredEnv" and value == "":
            return _fail(f"required env var `{arg}` is not set"), end
        return go_string(value), end

    def path_function(self, name: str, at: int) -> tuple[str, int]:
        """helmfile's dotted-path functions as sprig's `dig`/`set`. Helm's root `.Values` is
        a named map type `dig` cannot walk, so the object is first copied by `omit` (a
        shallow copy: `set` still changes the maps below it)."""
        match = _ARG.match(self.body, at)
        if match is None:
            if name == "get":  # sprig's own `get $dict "key"`: Helm has it
                return name, at
            raise SourceError(self.line_of(at), f"{name} needs a literal path here")
        path, start = self.literal(name, at)
        operands = [self.code(a, b) for a, b in _operands(self.body, start)]
        end = _operands(self.body, start)[-1][1] if operands else start
        piped = self.body[: at - len(name)].rstrip().endswith("|")
        if name == "setValueAtPath":
            if piped or len(operands) != 2:
                raise SourceError(self.line_of(at), "setValueAtPath: write it as a call")
            value, target = operands
            *parents, last = path.split(".")
            inner = f"(dig {_keys('.'.join(parents))} nil (omit {target}))" if parents else target
            return f"(index (list (set {inner} {go_string(last)} {value}) {target}) 1)", end
        if not piped and not operands:
            raise SourceError(self.line_of(at), f"{name} needs an object to look in")
        args = operands if piped else [*operands[:-1], f"(omit {operands[-1]})"]
        count = len(operands) + (1 if piped else 0)  # after the path: [default,] object
        has_default = name == "get" and count == 2
        if count > (2 if name == "get" else 1):
            raise SourceError(self.line_of(at), f"{name}: too many arguments")
        default = "" if has_default else " nil"
        call = f"dig {_keys(path)}{default} {' '.join(args)}".rstrip()
        if piped:
            call = f"omit | {call}"
        if name == "get" and not has_default:  # helmfile: a missing key is an error
            call += f" | required {go_string(f'no value exist for key {path!r}')}"
        return call, end


def rewrite(text: str, resolver: Resolver) -> str:
    """`text` in Helm's dialect, same line count; SourceError names the line it refuses."""
    out: list[str] = []
    pos = 0
    for start, end in _actions(text):
        out.append(text[pos:start])

        def line_of(at: int, offset: int = start) -> int:
            return text.count("\n", 0, offset + at) + 1

        body = _Body(text[start:end], line_of, resolver)
        out.append(body.code(0, len(body.body)))
        pos = end
    out.append(text[pos:])
    return "".join(out)
