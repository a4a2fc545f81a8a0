"""`tfcli compare A B [C ...]`: models side by side, differing rows highlighted."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app
from tfcli.catalog import complete_names


@app.command()
def compare(
    models: list[str] = typer.Argument(
        ..., help="Two or more preset names, aliases or spec/config.json files.",
        autocompletion=complete_names, show_default=False,
    ),
    seq_len: int = typer.Option(128, "--seq-len", "-n", min=1, help="Tokens per sequence for the FLOP count (one input for all)."),
    json_: bool = o.JSON,
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table."),
) -> None:
    """Put models side by side: class, positions, attention, norms, sizes, FLOPs, KV cache."""
    from tfcli.errors import UsageError

    if len(models) < 2:
        raise UsageError("compare needs at least two models, e.g. tfcli compare bert gpt2")
    if json_ and markdown:
        raise UsageError("choose one of --json and --markdown")
    from tfcli.analysis.compare import compare as run_compare
    from tfcli.catalog import resolve

    cmp = run_compare([resolve(m) for m in models], seq_len)
    if json_:
        o.print_json(cmp.to_dict())
    elif markdown:
        from tfcli.render.compare import compare_markdown

        typer.echo(compare_markdown(cmp))
    else:
        from tfcli.render.compare import render_compare
        from tfcli.render.fmt import make_console

        render_compare(cmp, make_console())
