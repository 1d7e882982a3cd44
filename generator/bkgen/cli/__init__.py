"""The `bkgen` command group.

Each non-underscore module in this package exposes `COMMANDS`, a list of click
commands; they are discovered here so adding a command never touches this file.
Commands parse options, call the core and let `_common.handle_errors` map
`BkgenError` to one line and an exit code. Command modules import only click and
`_common` at start, so `bkgen --help` and `--version` pay for no engine or schema.
"""

from __future__ import annotations

import errno
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import click

from bkgen import __version__
from bkgen.cli._common import EXIT_CODES, exit_with
from bkgen.errors import EXIT_USAGE, one_line


class _Group(click.Group):
    """Accepts `--debug` anywhere on the line (before a `--`), not only before the command,
    and reports click's own option errors the way bkgen reports its own."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:end]:
            ctx.ensure_object(dict)
            ctx.obj["debug"] = True
            args = [a for a in args[:end] if a != "--debug"] + args[end:]
        return super().parse_args(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            click.echo(
                f"bkgen: {one_line(None, 'usage error', err.format_message(), _hint(err))}",
                err=True,
            )
            exit_with(EXIT_USAGE)
        except click.ClickException as err:
            click.echo(f"bkgen: {one_line(None, 'error', err.format_message(), None)}", err=True)
            exit_with(err.exit_code)
        except click.Abort:
            click.echo("bkgen: interrupted", err=True)
            exit_with(130)
        except OSError as err:
            if err.errno == errno.EPIPE:  # `bkgen … | head`: the reader left, not an error
                sys.stdout = None
                exit_with(1)
            raise
        exit_with(code if isinstance(code, int) else 0)


def _hint(err: click.UsageError) -> str:
    """Where the grammar is written: the failing command's own --help (click's message
    already carries the did-you-mean for a mistyped command or option)."""
    ctx = err.ctx
    path = ctx.command_path if ctx is not None else "bkgen"
    return f"`{path} --help` shows the arguments and options"


@click.group(
    cls=_Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES
)
@click.version_option(__version__, prog_name="bkgen")
@click.option("--debug", is_flag=True, help="Tracebacks (anywhere on the line; BKGEN_DEBUG=1).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """GitOps config generator and validator for containerized BlueKing 7.x."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = bool(ctx.obj.get("debug")) or debug


def _with_exit_codes(command: click.Command) -> None:
    """Every --help ends with the exit codes; a command that gives its own keeps them."""
    if not command.epilog:
        command.epilog = EXIT_CODES
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_exit_codes(sub)


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            _with_exit_codes(command)
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(standalone_mode=True))
