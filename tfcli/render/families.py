"""Rendering the families table: rich or Markdown, English or Chinese (Simplified or Traditional).

A terminal narrower than WIDE gets one block per family (label, then the text wrapped beside
it) instead of six columns a dozen characters wide that would break words."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tfcli.analysis.families import FamiliesTable, FamilyRow
from tfcli.render.layout import Col, FitTable
from tfcli.vocab import label

HEADERS = ("model", "class", "components", "objective", "tasks", "why")
TITLE = "Transformer families: encoder-only, decoder-only, encoder-decoder"
WIDE = 140  # six prose columns of about 20 characters each


def _model_cell(r: FamilyRow, lang: str, markdown: bool) -> str:
    bold = (lambda t: f"**{t}**") if markdown else (lambda t: f"[bold]{t}[/]")
    if r.marked:
        return f"{bold(r.title)} † ({label('stand-in', lang)}: {r.preset})"
    return f"{bold(r.title)} ({label('built from', lang)} {r.preset})"


def _kind(r: FamilyRow) -> str:
    return f"[cyan]{r.kind}[/]" + (" †" if r.marked else "")


def _table(table: FamiliesTable, width: int) -> Group:
    lang = table.lang
    t = FitTable([Col(label(h, lang), justify="left", wrap=True, min_width=12) for h in HEADERS],
                 title=label(TITLE, lang), table_options={"show_lines": True})
    for r in table.rows:
        t.add_row(_model_cell(r, lang, False), _kind(r), "\n".join(r.components), r.objective, r.tasks, r.why)
    return t.renderable(width)


def _blocks(table: FamiliesTable) -> Group:
    """One family after another: its name, then each field on its own line(s)."""
    lang = table.lang
    parts: list = [Text(label(TITLE, lang), style="table.title")]
    for r in table.rows:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(label("class", lang), _kind(r))
        grid.add_row(label("components", lang), ("、" if lang != "en" else ", ").join(r.components))
        for key in ("objective", "tasks", "why"):
            grid.add_row(label(key, lang), getattr(r, key))
        parts += [Text(""), Text.from_markup(_model_cell(r, lang, False)), grid]
    return Group(*parts)


def render_families(table: FamiliesTable, console: Console) -> None:
    console.print(_table(table, console.width) if console.width >= WIDE else _blocks(table))
    for r in table.rows:
        if r.marked:
            console.print(f"[dim]† {r.title}: {r.note}[/]")


def families_markdown(table: FamiliesTable) -> str:
    lang = table.lang
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(label(h, lang) for h in HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for r in table.rows:
        kind = f"**{r.kind}**" + (" †" if r.marked else "")
        cells = [_model_cell(r, lang, True), kind, "<br>".join(r.components), r.objective, r.tasks, r.why]
        lines.append("| " + " | ".join(esc(c) for c in cells) + " |")
    lines.append("")
    lines += [f"† {r.title}: {r.note}" for r in table.rows if r.marked]
    return "\n".join(lines)
