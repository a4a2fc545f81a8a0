"""Rendering a Comparison: a rich table or Markdown, differing rows marked in text (≠ /
bold), so the marks survive without colour (a pipe, NO_COLOR, a log file)."""

from __future__ import annotations

from rich.console import Console

from tfcli.analysis.compare import Comparison
from tfcli.render.layout import Col, FitTable, table_overhead

MODEL_WIDTH = 16  # a model's column is at least this wide (or its longest word, if longer)


def _table(cmp: Comparison, models: list[int]) -> FitTable:
    """The label column and the columns of `models` (indices into cmp.names). Values wrap at
    spaces only; model names (the headers) never wrap."""
    cols = [Col("", justify="left", wrap=True, style="bold")]
    cols += [Col(cmp.names[i], justify="left", wrap=True, min_width=MODEL_WIDTH) for i in models]
    t = FitTable(cols)
    for r in cmp.rows:
        values = [r.values[i] for i in models]
        if r.differ:  # the marker survives without colour
            t.add_row(f"[yellow]{DIFFER} {r.label}[/]", *(f"[bold]{v}[/]" for v in values))
        else:
            t.add_row(f"[dim]  {r.label}[/]", *(f"[dim]{v}[/]" for v in values))
    return t


def _groups(cmp: Comparison, width: int) -> list[list[int]]:
    """The models in as few side-by-side tables as fit `width` (sizes as even as can be):
    four models on 80 columns are two tables of two, the label column repeated."""
    n = len(cmp.names)
    for k in range(n, 0, -1):
        tables = -(-n // k)
        size = -(-n // tables)
        groups = [list(range(i, min(i + size, n))) for i in range(0, n, size)]
        if all(_fits(cmp, g, width) for g in groups):
            return groups
    return [[i] for i in range(n)]


def _fits(cmp: Comparison, models: list[int], width: int) -> bool:
    t = _table(cmp, models)
    return sum(t.widths(width).values()) + table_overhead(len(models) + 1) <= width

DIFFER = "≠"  # marks a row whose values differ between the models


def render_compare(cmp: Comparison, console: Console) -> None:
    console.print(f"[italic]{' vs '.join(cmp.names)}[/]")
    for n, group in enumerate(_groups(cmp, console.width)):
        if n:
            console.print()
        _table(cmp, group).print(console)
    coloured = console.color_system is not None and not console.no_color
    console.print(f"[dim]{DIFFER} marks the rows that differ" + (" (in yellow)" if coloured else "")
                  + "; the others are the same for all[/]")
    for note in cmp.notes:
        console.print(f"[dim]note: {note}[/]")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def compare_markdown(cmp: Comparison) -> str:
    lines = [
        "| | " + " | ".join(_cell(n) for n in cmp.names) + " |",
        "|---|" + "---|" * len(cmp.names),
    ]
    for r in cmp.rows:
        label = r.label.strip()
        if r.differ:
            lines.append(f"| **{_cell(label)}** | " + " | ".join(f"**{_cell(v)}**" for v in r.values) + " |")
        else:
            lines.append(f"| {_cell(label)} | " + " | ".join(_cell(v) for v in r.values) + " |")
    lines.append("")
    lines.append("Rows in **bold** differ between the models.")
    lines += [f"Note: {n}" for n in cmp.notes]
    return "\n".join(lines)
