"""Rendering the families table: rich or Markdown, English or Chinese."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tfcli.analysis.families import FamiliesTable, FamilyRow

HEADERS = ("model", "class", "components", "objective", "tasks", "why")


def _label(key: str, lang: str) -> str:
    from tfcli.vocab import LABELS_ZH

    return LABELS_ZH.get(key, key) if lang == "zh" else key


def _model_cell(r: FamilyRow, lang: str, markdown: bool) -> str:
    bold = (lambda t: f"**{t}**") if markdown else (lambda t: f"[bold]{t}[/]")
    if r.marked:
        stand = _label("stand-in", lang)
        return f"{bold(r.title)} † ({stand}: {r.preset})"
    return f"{bold(r.title)} ({_label('built from', lang)} {r.preset})"


def render_families(table: FamiliesTable, console: Console) -> None:
    lang = table.lang
    t = Table(show_lines=True, title_justify="left",
              title="Transformer families: encoder-only, decoder-only, encoder-decoder" if lang != "zh"
              else "Transformer 三大類架構：Encoder-only、Decoder-only、Encoder-Decoder")
    for h in HEADERS:
        t.add_column(_label(h, lang), overflow="fold")
    for r in table.rows:
        kind = f"[cyan]{r.kind}[/]" + (" †" if r.marked else "")
        t.add_row(_model_cell(r, lang, False), kind, "\n".join(r.components), r.objective, r.tasks, r.why)
    console.print(t)
    marked = [r for r in table.rows if r.marked]
    for r in marked:
        console.print(f"[dim]† {r.title}: {r.note}[/]")


def families_markdown(table: FamiliesTable) -> str:
    lang = table.lang
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(_label(h, lang) for h in HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for r in table.rows:
        kind = f"**{r.kind}**" + (" †" if r.marked else "")
        cells = [_model_cell(r, lang, True), kind, "<br>".join(r.components), r.objective, r.tasks, r.why]
        lines.append("| " + " | ".join(esc(c) for c in cells) + " |")
    lines.append("")
    lines += [f"† {r.title}: {r.note}" for r in table.rows if r.marked]
    return "\n".join(lines)
