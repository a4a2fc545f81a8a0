"""Number formatting shared by every renderer."""

from tfcli.humanize import human, human_bytes

__all__ = ["console_width", "human", "human_bytes", "make_console", "percent", "shape_str"]  # renderers import all from here


def shape_str(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if shape is not None else ""


def console_width(stream) -> int:
    """COLUMNS when set (a pipe, a test, a script asking for a width), else the terminal's
    width, else 80: what `ls` and most tools assume when writing to a pipe or a file."""
    import os

    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):  # not a real file (captured in tests)
        pass
    return 80


def make_console(stderr: bool = False):
    """A rich console as wide as `console_width` says; the tables fit it (tfcli.render.layout)."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=console_width(stream))


def percent(part: float, whole: float) -> str:
    share = 100 * part / whole if whole else 0.0
    return "<0.1%" if 0 < share < 0.1 else f"{share:.1f}%"
