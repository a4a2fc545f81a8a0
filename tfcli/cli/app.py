"""The Typer app and the one place errors become a message and an exit code.

Command modules import torch only inside their functions, so `tfcli --help`,
`tfcli list` and completion stay fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from tfcli import __version__

app = typer.Typer(
    name="tfcli",
    help="Explore Transformer-family architectures: layer trees, parameters, FLOPs, timings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# each module registers its command(s) on `app` when imported
COMMAND_MODULES = [
    "list_cmd", "inspect_cmd", "flops_cmd", "complexity_cmd", "bench_cmd", "compare_cmd", "families_cmd", "graph_cmd",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tfcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """--debug is read by main() itself, which owns the error boundary."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"tfcli.cli.{_name}")


def _fail(message: str, code: int) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {message}", markup=True)
    sys.exit(code)


def _is_oom(e: BaseException) -> bool:
    return type(e).__name__ == "OutOfMemoryError" or "out of memory" in str(e).lower()


def main(argv: list[str] | None = None) -> None:
    from tfcli.errors import TfcliError

    # newer Typer vendors its own click: take the exception classes from Typer itself
    click_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get("TFCLI_DEBUG") == "1"
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="tfcli", standalone_mode=False)
        if isinstance(code, int) and code:  # typer returns Ctrl-C (130) and typer.Exit(n) as a code
            sys.exit(code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except click_error as e:
        e.show()
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", 130)
    except TfcliError as e:
        if debug:
            raise
        _fail(str(e), e.exit_code)
    except Exception as e:  # a bug, or the machine ran out of something
        if debug:
            raise
        if _is_oom(e):
            _fail(f"out of memory: {str(e).splitlines()[0]}; try a smaller --batch or --seq-len", 3)
        _fail(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)", 1)
