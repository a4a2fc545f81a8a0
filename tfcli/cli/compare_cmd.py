"""`tfcli compare A B [C ...]`: models side by side, differing rows marked."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app


@app.command()
def compare(
    models: list[str] = o.MODELS,
    set_: list[str] = o.SET,
    batch: int = o.BATCH,
    seq_len: int = o.SEQ_LEN,
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    csv: str = o.csv_option("model"),
    json_: bool = o.JSON,
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table."),
) -> None:
    """Put models side by side: class, positions, attention, norms, sizes, FLOPs, KV cache.

    Each model runs at its own default input. An input option applies to the models that
    read it (--seq-len to the text models, --image-size to the vision ones), capped at a
    model's position table (CLIP: 77 tokens), with a note.
    """
    from tfcli.errors import UsageError

    if len(models) < 2:
        raise UsageError("compare needs at least two models, e.g. tfcli compare bert gpt2")
    if json_ and markdown:
        raise UsageError("choose one of --json and --markdown")
    shape = o.input_shape(batch, seq_len, tgt_len, image_size)
    csv = o.check_csv(csv)
    from tfcli.analysis.compare import compare as run_compare
    from tfcli.catalog import resolve

    cmp = run_compare([resolve(m, set_) for m in models], shape)
    o.write_csv(csv, cmp.csv_rows())
    if json_:
        o.print_json(cmp.to_dict(), "compare")
    elif markdown:
        from tfcli.render.compare import compare_markdown

        typer.echo(compare_markdown(cmp))
    else:
        from tfcli.render.compare import render_compare
        from tfcli.render.fmt import make_console

        render_compare(cmp, make_console())
