"""The Typer app and the one place errors become a message and an exit code.

Command modules import torch only inside their functions, so `tfcli --help`,
`tfcli list` and completion stay fast.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys

import typer
from typer.core import TyperCommand

from tfcli import __version__

class HelpCommand(TyperCommand):
    """Help that names an argument by its metavar alone (MODEL, [MODEL]...): Typer 0.2x writes
    `<str>` or `<list[str]>` beside it and puts a required one in braces ({model})."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_argument_name(p) for p in self.get_params(ctx) if p.param_type_name == "argument"]

    def format_options(self, ctx, formatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for p in self.get_params(ctx):
            record = p.get_help_record(ctx)
            if record is None:
                continue
            if p.param_type_name == "argument":
                sections["Arguments"].append((_argument_name(p), record[1]))
            else:
                sections["Options"].append(record)
        for title, records in sections.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def _argument_name(param) -> str:
    return param.metavar or param.name.upper()


class App(typer.Typer):
    """Every command gets HelpCommand's help."""

    def command(self, *args, cls=None, **kwargs):
        return super().command(*args, cls=cls or HelpCommand, **kwargs)


app = App(
    name="tfcli",
    help="Explore Transformer-family architectures: layer trees, parameters, FLOPs, timings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # click's plain help: flags without a type, values by their metavar (N, KEY=VALUE, [fp32|bf16]);
    # Typer's rich panels print <bool> beside every flag and <int range> for numbers
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# each module registers its command(s) on `app` when imported
COMMAND_MODULES = [
    "list_cmd", "inspect_cmd", "flops_cmd", "complexity_cmd", "bench_cmd", "compare_cmd", "families_cmd", "graph_cmd",
    "memory_cmd", "examples_cmd",
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
    try:
        from rich.console import Console

        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {message}", markup=True)
    except Exception:  # no memory, no usable stderr: the plainest write there is
        try:
            os.write(2, f"error: {message}\n".encode("utf-8", "replace"))
        except OSError:
            pass
    sys.exit(code)


def _is_oom(e: BaseException) -> bool:
    text = str(e).lower()
    return (isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError" or "out of memory" in text
            or "can't allocate memory" in text or "cannot allocate memory" in text or "not enough memory" in text)


def _output_failed(e: OSError) -> None:
    """Standard output went away (a pipe closed by `head`) or filled up (a full disk)."""
    try:  # nothing more may reach the broken stream, not even at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
    if e.errno == errno.EPIPE:
        sys.exit(1)  # the reader left (`| head`): silent, as click itself does
    _fail(f"cannot write the output: {e.strerror or e}", 1)


def _check_streams() -> None:
    if sys.stdout is None or sys.stdout.closed:
        _fail("standard output is closed; redirect it to a file or to /dev/null", 2)


def main(argv: list[str] | None = None) -> None:
    from tfcli.errors import TfcliError

    _check_streams()
    # newer Typer vendors its own click: take the exception classes from Typer itself
    click_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get("TFCLI_DEBUG") == "1"
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="tfcli", standalone_mode=False)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at interpreter exit
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
    except UnicodeEncodeError as e:
        encoding = getattr(sys.stdout, "encoding", None) or "unknown"
        _fail(f"this terminal's encoding ({encoding}) cannot show {e.object[e.start:e.end]!r}; "
              "use a UTF-8 locale (LANG=C.UTF-8) or PYTHONIOENCODING=utf-8", 2)
    except OSError as e:
        if debug:
            raise
        if e.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO) or isinstance(e, BrokenPipeError):
            _output_failed(e)
        if _is_oom(e):
            _fail(f"out of memory: {str(e).splitlines()[0]}; try a smaller --batch or --seq-len", 3)
        _fail(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)", 1)
    except Exception as e:  # a bug, or the machine ran out of something
        if debug:
            raise
        if _is_oom(e):
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            _fail(f"out of memory: {first}; try a smaller --batch or --seq-len", 3)
        _fail(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)", 1)
