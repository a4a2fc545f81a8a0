"""Number formatting shared by every renderer."""


def human(n: float, unit: str = "") -> str:
    """1234567 → '1.23M'; exact counts are printed beside where they matter."""
    for value, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= value:
            return f"{n / value:.2f}{suffix}{unit}"
    return f"{n:g}{unit}"


def human_bytes(n: float) -> str:
    for value, suffix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(n) >= value:
            return f"{n / value:.2f} {suffix}"
    return f"{n:g} B"


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
