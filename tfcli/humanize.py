"""Numbers as people read them (1.23M, 2.00 GiB), with no rich and no torch.

A leaf both layers may use: compare's facts are compared as the reader sees them, so
analysis needs the same rounding the renderers print (tfcli.render.fmt re-exports these).
"""


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
