"""Number formatting shared by every renderer."""

from tfcli.humanize import human, human_bytes

__all__ = ["human", "human_bytes", "make_console", "percent", "shape_str"]  # renderers import all from here


def shape_str(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if shape is not None else ""


def make_console(stderr: bool = False):
    """A rich console; off a terminal (pipes, tests) it is wide enough not to cut names."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 160
    return Console(stderr=stderr, highlight=False, width=width)


def percent(part: float, whole: float) -> str:
    share = 100 * part / whole if whole else 0.0
    return "<0.1%" if 0 < share < 0.1 else f"{share:.1f}%"
