"""Rendering a Comparison: a rich table or Markdown, differing rows marked in text (≠ /
bold), so the marks survive without colour (a pipe, NO_COLOR, a log file)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tfcli.analysis.compare import Comparison

DIFFER = "≠"  # marks a row whose values differ between the models


def render_compare(cmp: Comparison, console: Console) -> None:
    t = Table(title=f"{' vs '.join(cmp.names)}", title_justify="left", show_lines=False)
    t.add_column("", style="bold")
    for name in cmp.names:
        t.add_column(name, overflow="fold")
    for r in cmp.rows:
        if r.differ:
            t.add_row(f"[yellow]{DIFFER} {r.label}[/]", *(f"[bold]{v}[/]" for v in r.values))
        else:
            t.add_row(f"[dim]  {r.label}[/]", *(f"[dim]{v}[/]" for v in r.values))
    console.print(t)
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
