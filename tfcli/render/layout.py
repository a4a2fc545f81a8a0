"""Tables that fit the console without cutting a number or a name.

Every column says whether it may wrap (prose, at spaces only) or not (numbers, names,
units: never split, never "…"), and how dispensable it is. When the table is wider than
the console, the most dispensable columns are dropped (all of one rank at once) until the
rest fit; the caller prints `dropped_note` so a reader knows what is missing and how to see
it. Widths are computed here and handed to rich as fixed widths, so rich never shrinks a
column below what its content needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text

# a line's first word keeps its indentation; Chinese and Japanese break between any two
# characters, so each counts as a word of its own
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_WORD = re.compile(rf"^\s*[^\s{_CJK}]+|[{_CJK}]|[^\s{_CJK}]+")


@dataclass(frozen=True)
class Col:
    """One column. header may hold "\\n" for a two-line header (name over unit)."""

    header: str
    justify: str = "right"
    drop: int = 0  # 0: always shown; when too wide, the highest rank goes first
    wrap: bool = False  # prose wraps at spaces; numbers and names never wrap
    style: str | None = None
    min_width: int = 0  # a wrapping column is never narrower than this (nor than its longest word)
    name: str = ""  # how notes name the column when the header does not read as one line

    @property
    def title(self) -> str:
        return self.name or self.header.replace("\n", " ")


def _lines(cell) -> list[str]:
    text = cell if isinstance(cell, Text) else Text.from_markup(str(cell))
    return text.plain.split("\n")


def cell_width(cell) -> int:
    """Columns a cell takes unwrapped: its longest line."""
    return max((Text(line).cell_len for line in _lines(cell)), default=0)


def word_width(cell) -> int:
    """Columns a cell needs when wrapped at spaces: its longest word."""
    return max((Text(w).cell_len for line in _lines(cell) for w in _WORD.findall(line)), default=0)


def table_overhead(n_columns: int) -> int:
    """Border and padding columns of a boxed table with rich's default padding (0, 1)."""
    return 3 * n_columns + 1 if n_columns else 0


def _fit_wrapped(natural: list[int], least: list[int], room: int) -> list[int]:
    """Widths for the wrapping columns: as wide as their content when room allows, else the
    widest cut down first (a water level), never below `least`."""
    if sum(natural) <= room:
        return natural
    level = max(natural)
    while level > 0 and sum(max(lo, min(n, level)) for n, lo in zip(natural, least)) > room:
        level -= 1
    return [max(lo, min(n, level)) for n, lo in zip(natural, least)]


@dataclass
class FitTable:
    """Collect columns and rows, then `build(width)` a rich Table that fits `width`."""

    columns: list[Col]
    title: str | None = None
    caption: str | None = None
    table_options: dict = field(default_factory=dict)
    rows: list[list] = field(default_factory=list)
    sections: set[int] = field(default_factory=set)  # row indices followed by a rule
    dropped: list[str] = field(default_factory=list)  # headers left out by the last build

    def add_row(self, *cells) -> None:
        cells = list(cells) + [""] * (len(self.columns) - len(cells))
        self.rows.append(cells)

    def add_section(self) -> None:
        if self.rows:
            self.sections.add(len(self.rows) - 1)

    def _needs(self, i: int) -> tuple[int, int]:
        """(natural, least) width of column i."""
        col = self.columns[i]
        cells = [col.header] + [r[i] for r in self.rows]
        natural = max(cell_width(c) for c in cells)
        if not col.wrap:
            return natural, natural
        least = max(max(word_width(c) for c in cells), min(col.min_width, natural))
        return natural, least

    def widths(self, width: int) -> dict[int, int]:
        """Column index → content width for the columns kept at `width`."""
        needs = {i: self._needs(i) for i in range(len(self.columns))}
        keep = list(range(len(self.columns)))

        def least_total(cols):
            return sum(needs[i][1] for i in cols) + table_overhead(len(cols))

        dropped: list[list[int]] = []  # groups of one rank, in the order they went
        while least_total(keep) > width:
            rank = max(self.columns[i].drop for i in keep)
            if rank == 0:
                break  # only essential columns left: rich wraps the lines, nothing is dropped
            dropped.append([i for i in keep if self.columns[i].drop == rank])
            keep = [i for i in keep if self.columns[i].drop != rank]
        for group in reversed(dropped[:-1]):  # a group dropped early may fit beside what is left
            if least_total(keep + group) <= width:
                keep = sorted(keep + group)
        fixed = {i: needs[i][0] for i in keep if not self.columns[i].wrap}
        wrapped = [i for i in keep if self.columns[i].wrap]
        room = width - table_overhead(len(keep)) - sum(fixed.values())
        fitted = _fit_wrapped([needs[i][0] for i in wrapped], [needs[i][1] for i in wrapped], room)
        out = {**fixed, **dict(zip(wrapped, fitted))}
        return {i: out[i] for i in keep}

    def build(self, width: int) -> Table:
        """The table alone; `renderable` adds the title, caption and the note on dropped columns."""
        widths = self.widths(width)
        self.dropped = [c.title for i, c in enumerate(self.columns) if i not in widths]
        t = Table(**self.table_options)
        for i, w in widths.items():
            c = self.columns[i]
            t.add_column(c.header, justify=c.justify, style=c.style, width=w, no_wrap=not c.wrap,
                         overflow="fold")
        for n, row in enumerate(self.rows):
            t.add_row(*(row[i] for i in widths), end_section=n in self.sections)
        return t

    def renderable(self, width: int) -> Group:
        """Title, table, caption and note. Title and caption are lines of their own, as wide as
        the console, so a narrow table does not squeeze them into a tall column."""
        table = self.build(width)
        parts = [Text(self.title, style="table.title")] if self.title else []
        parts.append(table)
        if self.caption:
            parts.append(Text.from_markup(self.caption, style="table.caption"))
        note = dropped_note(self.dropped, width)
        if note:
            parts.append(Text.from_markup(note))
        return Group(*parts)

    def print(self, console) -> None:
        console.print(self.renderable(console.width))


def dropped_note(dropped: list[str], width: int) -> str | None:
    if not dropped:
        return None
    return (f"[dim]not shown at {width} columns: {', '.join(dropped)} "
            f"(widen the terminal or set COLUMNS; --json has every value)[/]")
