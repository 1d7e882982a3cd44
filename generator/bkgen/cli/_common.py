"""What every command shares: the option grammar, error-to-exit-code mapping, the project root.

One grammar for every command (docs/cli.md):
- ENV is the first positional argument of every command that works on an environment;
- `-o/--output FORMAT` (`--format` kept as an alias) on every command that prints data, and
  the human format is called `text` everywhere (`terminal` is accepted for it);
- `--root` for the project, `--debug` (or `BKGEN_DEBUG=1`) anywhere on the line for tracebacks;
- every `--help` ends with the command's exit codes.
Inputs are checked where they enter (environment names against `overlays/`, IPs with
`ipaddress`), and the process exits only through `exit_with`, with a code from `bkgen.errors`.

This module is imported by every command at start: it must not import the core's heavy
modules (schemas, engines, Hera); each command imports what it needs when it runs.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from bkgen.errors import EXIT_USAGE, BkgenError, UsageError, display_path
from bkgen.errors.suggest import closest

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a `BkgenError` into one line on stderr and the family's exit code.

    A traceback is shown only with `bkgen --debug`: user mistakes are not crashes.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BkgenError as err:
            if debugging():
                raise
            click.echo(f"bkgen: {err}", err=True)
            exit_with(err.exit_code)
        except OSError as err:  # an unreadable or unwritable file the user named
            if debugging():
                raise
            where = f"{display_path(err.filename)}: " if err.filename else ""
            click.echo(f"bkgen: {where}usage error: {err.strerror or err}", err=True)
            exit_with(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("bkgen: interrupted", err=True)
            exit_with(130)

    return wrapper


def debugging() -> bool:
    """`--debug` anywhere on the command line, or BKGEN_DEBUG=1."""
    if os.environ.get("BKGEN_DEBUG", "") not in ("", "0"):
        return True
    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool((ctx.find_root().obj or {}).get("debug"))


def exit_with(code: int) -> NoReturn:
    """The one way a command ends with a status (codes live in `bkgen.errors`)."""
    sys.exit(code)


HUMAN = "text"
"""The one name of the human-readable format; `terminal` (diff's old name) is its alias."""
FORMAT_ALIASES = {"terminal": HUMAN}

EXIT_CODES = "Exit codes: 0 success, 1 failure (the result, not the input), 2 usage or input error."
"""The epilog every command shows unless it says what 1 means for it (`exit_codes`)."""


def exit_codes(failure: str) -> str:
    """An "Exit codes" epilog naming what exit 1 means for one command."""
    return f"Exit codes: 0 success, 1 {failure}, 2 usage or input error."


class LazyChoice(click.ParamType[str]):
    """A name from a fixed list; format names also accept the aliases every command shares.

    `choices` may be a callable so a command can list a registry's formats without importing
    the registry at start (the import happens when the option is parsed or its help shown).
    """

    name = "choice"

    def __init__(self, choices: Sequence[str] | Callable[[], Sequence[str]]) -> None:
        self._choices = choices

    @property
    def choices(self) -> list[str]:
        found = self._choices() if callable(self._choices) else self._choices
        return sorted(found)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return f"[{'|'.join(self.choices)}]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        choices = self.choices
        if text in choices:
            return text
        if FORMAT_ALIASES.get(text) in choices:
            return FORMAT_ALIASES[text]
        meant = closest(text, choices)
        hint = f"; did you mean '{meant}'?" if meant else ""
        self.fail(f"{text!r} is not one of {', '.join(choices)}{hint}", param, ctx)


def output_option(
    choices: Sequence[str] | Callable[[], Sequence[str]],
    default: str,
    help: str = "Output format.",
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`-o/--output FORMAT`, the same spelling on every command that prints data.

    `--format` stays an alias (graph and hosts once took it); `terminal` is read as `text`.
    """
    aliases = ", ".join(f"{old} = {new}" for old, new in FORMAT_ALIASES.items())
    option: Callable[[Callable[P, R]], Callable[P, R]] = click.option(
        "-o",
        "--output",
        "--format",
        "output",
        type=LazyChoice(choices),
        default=default,
        show_default=True,
        help=f"{help} (`--format` is an alias; {aliases}.)"
        if default == HUMAN
        else f"{help} (`--format` is an alias.)",
    )
    return option


def deprecated_env(option: str | None, usage: str) -> None:
    """`--env ENV` still works where it was the spelling (bump, import); it says how to write it."""
    if option is not None:
        click.echo(
            f"bkgen: warning: --env is deprecated; ENV is the first argument: {usage}", err=True
        )


def env_first(
    args: tuple[str, ...], env_option: str | None, rest: Sequence[str], usage: str
) -> tuple[str | None, list[str]]:
    """Split `ENV ARG...` (ENV optional when `--env` is given or the command allows none).

    Returns ENV (None when not given) and the remaining arguments, exactly `len(rest)` of them.
    """
    deprecated_env(env_option, usage)
    given = list(args)
    if env_option is not None:
        if len(given) != len(rest):
            raise UsageError(f"expected {' '.join(rest)} after --env", hint=f"write {usage}")
        return env_option, given
    if len(given) == len(rest) + 1:
        return given[0], given[1:]
    words = usage.split()
    expected = " ".join(words[next(i for i, w in enumerate(words) if "ENV" in w) :])
    raise UsageError(f"expected {expected}, got {len(given)} argument(s)", hint=f"write {usage}")


def check_envs(root: Path, names: tuple[str, ...] | list[str]) -> list[str]:
    """Environment names as given, each checked against overlays/ (exit 2 when unknown)."""
    from bkgen.overlay.names import require_environment

    for name in names:
        require_environment(root, name)
    return list(names)


def env_names(root: Path, envs: tuple[str, ...], all_envs: bool) -> list[str]:
    """ENVS, or every environment with --all, or `default`; each checked."""
    from bkgen.overlay.names import list_environments

    if all_envs and envs:
        raise UsageError("give environment names or --all, not both")
    if all_envs:
        names = list_environments(root)
        if not names:
            raise UsageError("no environments under overlays/")
        return names
    return check_envs(root, envs or ("default",))


def ip_address(value: str) -> str:
    """An IPv4/IPv6 address, or a usage error naming the bad value."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise UsageError(f"not an IP address: {value!r}", hint="e.g. --ip 10.0.0.10") from None


def project_root(explicit: str | None = None) -> Path:
    """The repository holding `overlays/`: `--root`, `$BKGEN_ROOT`, or the nearest parent."""
    if explicit:
        if not (Path(explicit) / "overlays").is_dir():
            raise UsageError(f"--root {explicit}: no overlays/ there")
        return Path(explicit)
    env = os.environ.get("BKGEN_ROOT")
    if env:
        return Path(env)
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "overlays" / "base").is_dir():
            return candidate
    raise UsageError("no overlays/base found here or above", hint="use --root")


root_option = click.option(
    "--root",
    "root",
    type=click.Path(file_okay=False),
    default=None,
    help="Project root holding overlays/ and rendered/ (default: search upwards).",
)
