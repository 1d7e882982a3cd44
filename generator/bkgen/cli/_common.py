"""What every command shares: error-to-exit-code mapping and the project root."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from bkgen.errors import EXIT_USAGE, BkgenError

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
            ctx = click.get_current_context(silent=True)
            if ctx is not None and (ctx.find_root().obj or {}).get("debug"):
                raise
            click.echo(f"bkgen: {err}", err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("bkgen: interrupted", err=True)
            sys.exit(130)

    return wrapper


def project_root(explicit: str | None = None) -> Path:
    """The repository holding `overlays/`: `--root`, `$BKGEN_ROOT`, or the nearest parent."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("BKGEN_ROOT")
    if env:
        return Path(env)
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "overlays" / "base").is_dir():
            return candidate
    click.echo("bkgen: usage error: no overlays/base found here or above (use --root)", err=True)
    sys.exit(EXIT_USAGE)


root_option = click.option(
    "--root",
    "root",
    type=click.Path(file_okay=False),
    default=None,
    help="Project root holding overlays/ and rendered/ (default: search upwards).",
)
