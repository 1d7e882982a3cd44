"""What every command shares: the option grammar, error-to-exit-code mapping, the project root.

One grammar for every command: `-o/--output FORMAT` for what is printed, `--root` for the
project, `--debug` (or `BKGEN_DEBUG=1`) anywhere on the line for tracebacks. Inputs are
checked where they enter (environment names against `overlays/`, IPs with `ipaddress`), and
the process exits only through `exit_with`, with a code from `bkgen.errors`.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import click

from bkgen.errors import EXIT_USAGE, BkgenError, UsageError, display_path
from bkgen.overlay.load import list_environments, require_environment

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


def output_option(
    choices: list[str], default: str, help: str = "Output format.", alias: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`-o/--output FORMAT`, the same spelling on every command that prints data.

    `alias` keeps an older spelling working (graph/hosts once took `--format`).
    """
    names = ["-o", "--output", *([alias] if alias else []), "output"]
    option: Callable[[Callable[P, R]], Callable[P, R]] = click.option(
        *names,
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help,
    )
    return option


def check_envs(root: Path, names: tuple[str, ...] | list[str]) -> list[str]:
    """Environment names as given, each checked against overlays/ (exit 2 when unknown)."""
    for name in names:
        require_environment(root, name)
    return list(names)


def env_names(root: Path, envs: tuple[str, ...], all_envs: bool) -> list[str]:
    """ENVS, or every environment with --all, or `default`; each checked."""
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
