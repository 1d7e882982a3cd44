"""The `bkgen` command group.

Each non-underscore module in this package exposes `COMMANDS`, a list of click
commands; they are discovered here so adding a command never touches this file.
Commands parse options, call the core and let `_common.handle_errors` map
`BkgenError` to one line and an exit code.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from bkgen import __version__


class _Group(click.Group):
    """Accepts `--debug` anywhere on the line (before a `--`), not only before the command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:end]:
            ctx.ensure_object(dict)
            ctx.obj["debug"] = True
            args = [a for a in args[:end] if a != "--debug"] + args[end:]
        return super().parse_args(ctx, args)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bkgen")
@click.option("--debug", is_flag=True, help="Tracebacks (anywhere on the line; BKGEN_DEBUG=1).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """GitOps config generator and validator for containerized BlueKing 7.x."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = bool(ctx.obj.get("debug")) or debug


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(standalone_mode=True))
