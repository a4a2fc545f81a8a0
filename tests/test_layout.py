"""Console width (COLUMNS, the terminal, 80 when piped) and tables that fit it without cutting."""

import os
import subprocess
import sys

import pytest

from tfcli.render.layout import Col, FitTable, table_overhead


@pytest.mark.parametrize("columns, expected", [("100", 100), ("", 80), ("wide", 80), ("0", 80)])
def test_console_width_off_a_terminal(monkeypatch, columns, expected):
    import io

    from tfcli.render.fmt import console_width

    monkeypatch.setenv("COLUMNS", columns)
    assert console_width(io.StringIO()) == expected


def _piped(*args, columns=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns:
        env["COLUMNS"] = str(columns)
    r = subprocess.run([sys.executable, "-m", "tfcli", *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_piped_output_honours_columns():
    narrow = _piped("list", "--family", "mixtral")
    assert max(len(line) for line in narrow.splitlines()) <= 80 and "aliases" in narrow  # named as not shown
    wide = _piped("list", "--family", "mixtral", columns=130)
    assert 80 < max(len(line) for line in wide.splitlines()) <= 130
    assert "mistralai/Mixtral-8x7B-Instruct-v0.1" in wide and "not shown" not in wide


def test_list_at_80_columns_keeps_every_name_and_count(run_cli, monkeypatch):
    import json

    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli("list")
    assert code == 0, err
    assert "…" not in out and max(len(line.rstrip()) for line in out.splitlines()) <= 80
    cells = {cell.strip() for line in out.splitlines() for cell in line.split("│")}
    _, js, _ = run_cli("list", "--json")
    for row in json.loads(js)["presets"]:
        assert row["name"] in cells and f"{row['params']:,}" in cells


def _table():
    t = FitTable([Col("a", drop=0), Col("b", drop=2), Col("c", drop=1), Col("d", drop=2), Col("text", wrap=True)])
    t.add_row("1" * 10, "2" * 10, "3" * 10, "4" * 10, "some words wrap but never break")
    return t


def test_columns_go_by_rank_and_come_back_when_room_allows():
    t = _table()
    least = 4 * 10 + len("never") + table_overhead(5)  # the prose may wrap down to its longest word
    assert list(t.widths(least)) == [0, 1, 2, 3, 4]
    # too narrow for all: rank 2 (b and d together) goes first
    assert list(t.widths(least - 1)) == [0, 2, 4]
    # narrower still: rank 1 goes too; rank 0 and the prose stay, the prose wrapped
    widths = t.widths(10 + 5 + table_overhead(2))
    assert list(widths) == [0, 4] and widths[4] == len("never")
    # a column dropped first comes back when dropping a wider one made room for it
    t2 = FitTable([Col("a"), Col("b", drop=2), Col("c", drop=1), Col("text", wrap=True)])
    t2.add_row("1" * 10, "2" * 10, "3" * 40, "some words")
    assert list(t2.widths(10 + 10 + 5 + table_overhead(3))) == [0, 1, 3]
    t.build(least - 1)
    assert t.dropped == ["b", "d"]


def test_a_wrapping_column_is_never_narrower_than_its_longest_word():
    t = FitTable([Col("name"), Col("about", wrap=True)])
    t.add_row("x", "a extraordinarily long-hyphenated-word here")
    assert t.widths(20)[1] == len("long-hyphenated-word")


def test_rendered_table_fits_and_cuts_nothing():
    from io import StringIO

    from rich.console import Console

    t = _table()
    buffer = StringIO()
    console = Console(file=buffer, width=50, color_system=None)
    t.print(console)
    text = buffer.getvalue()
    assert "…" not in text and all(len(line) <= 50 for line in text.splitlines())
    assert "1" * 10 in text and "not shown at 50 columns" in text
