"""Rendering `tfcli list`: one row per preset. No torch."""

from __future__ import annotations

from tfcli.render.fmt import human
from tfcli.render.layout import Col, FitTable


def presets_table(rows: list[dict], one_family: bool = False) -> FitTable:
    """Names and exact counts are never cut. On a narrow terminal the aliases go first (one
    is 51 characters), then the rounded count, then the family (the name says it), then the
    active count (shown only beside a mixture of experts); a class wraps at its spaces. With
    --family the family column is the first to go."""
    cols = [Col("name", justify="left"), Col("family", justify="left", drop=3),
            Col("class", justify="left", wrap=True, drop=1), Col("params"), Col("", drop=4, name="params (rounded)"),
            Col("active", drop=2), Col("aliases", justify="left", wrap=True, drop=5)]
    if one_family:
        cols[1] = Col("family", justify="left", drop=9)
    sparse = any(r["params_active"] != r["params"] for r in rows)  # a mixture of experts among them
    if not sparse:
        del cols[5]
    t = FitTable(cols, title=f"{len(rows)} presets")
    for r in rows:
        cells = [r["name"], r["family"], r["kind"], f"{r['params']:,}", human(r["params"])]
        if sparse:
            cells.append(human(r["params_active"]) if r["params_active"] != r["params"] else "")
        t.add_row(*cells, ", ".join(r["aliases"]))
    return t
