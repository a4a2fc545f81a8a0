"""`tfcli families`: the encoder/decoder classification table, built from real models."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app


@app.command()
def families(
    lang: str = o.choice("en", "--lang", choices=o.LANGS,
                         help="English, or the study notes' Chinese in Simplified (zh) or Traditional (zh-Hant)."),
    json_: bool = o.JSON,
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table."),
) -> None:
    """Every family's class and components (read from its built model), objective and why."""
    from tfcli.errors import UsageError

    from tfcli.vocab import LANGS

    lang = {"zh-hans": "zh", "zh-cn": "zh", "zh-hant": "zh-Hant", "zh-tw": "zh-Hant"}.get(lang.lower(), lang)
    if lang not in LANGS:
        raise UsageError(f"unknown --lang '{lang}'; choose {', '.join(LANGS[:-1])} or {LANGS[-1]}")
    if json_ and markdown:
        raise UsageError("choose one of --json and --markdown")
    from tfcli.analysis.families import families_table

    table = families_table(lang)
    if json_:
        o.print_json(table.to_dict(), "families")
    elif markdown:
        from tfcli.render.families import families_markdown

        typer.echo(families_markdown(table))
    else:
        from tfcli.render.families import render_families
        from tfcli.render.fmt import make_console

        render_families(table, make_console())
