"""`tfcli complexity`: attention's cost against sequence length, for a model or bare dimensions."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

MODEL = typer.Argument(
    None, help="Preset name or alias, or a spec file; leave out and give --d-model/--heads/--ffn instead.",
    autocompletion=o.complete_names, show_default=False, metavar="[MODEL]",
)


@app.command()
def complexity(
    model: str = MODEL,
    set_: list[str] = o.SET,
    seq_len: list[str] = o.SEQ_LENS,
    image_size: list[str] = o.IMAGE_SIZES,
    max_: int = typer.Option(None, "--max", metavar="N", help="Double from 128 tokens (or the default image side) up to this."),
    d_model: int = typer.Option(None, "--d-model", metavar="N", help="Bare dimensions instead of a model: width."),
    heads: int = typer.Option(None, "--heads", metavar="N", help="Bare dimensions: attention heads."),
    ffn: int = typer.Option(None, "--ffn", metavar="N", help="Bare dimensions: feed-forward width (default 4 × d-model)."),
    layers: int = typer.Option(1, "--layers", metavar="N", help="Bare dimensions: number of blocks."),
    kv_heads: int = typer.Option(None, "--kv-heads", metavar="N", help="Bare dimensions: key/value heads (GQA)."),
    gated: bool = typer.Option(False, "--gated", help="Bare dimensions: gated feed-forward (SwiGLU)."),
    causal: bool = typer.Option(False, "--causal", help="Bare dimensions: causal decoder blocks (adds a KV cache)."),
    batch: int = o.BATCH,
    dtype: str = o.choice("bf16", "--dtype", choices=o.MEMORY_DTYPES,
                          help="Bytes per element for the memory columns."),
    causal_half: bool = typer.Option(False, "--causal-half", help="Count only the masked half of causal scores."),
    plot: str = typer.Option(None, "--plot", metavar="FILE", help="Also write a log-log plot to FILE (.svg, or .png with Pillow)."),
    csv: str = o.csv_option("length (or image side)"),
    json_: bool = o.JSON,
) -> None:
    """How the cost of attention grows with sequence length (or image side), and where it overtakes the rest.

    Default sweep: doubling from 128 tokens (or the model's image side) past the crossover."""
    from tfcli.errors import UsageError

    for name, value in (("max", max_), ("batch", batch), ("d_model", d_model), ("heads", heads),
                        ("ffn", ffn), ("layers", layers), ("kv_heads", kv_heads)):
        o.positive(**{name: value})
    from tfcli.analysis.complexity import DTYPE_BYTES

    if dtype not in DTYPE_BYTES:
        raise UsageError(f"--dtype must be one of {', '.join(DTYPE_BYTES)}; got '{dtype}'")
    if plot is not None:  # before any counting: a bad path costs nothing
        from tfcli.outputs import check_output_path

        plot = check_output_path(plot, "--plot", (".svg", ".png"))
    csv = o.check_csv(csv)
    lengths = o.parse_lengths(seq_len, "--seq-len")
    sides = o.parse_lengths(image_size, "--image-size")
    if (lengths or sides) and max_ is not None:
        raise UsageError("give either a list (--seq-len/--image-size) or --max, not both")

    from tfcli.analysis.complexity import complexity_report
    from tfcli.catalog import resolve
    from tfcli.render.complexity import render_complexity, write_plot
    from tfcli.render.fmt import make_console

    bare = None
    if model is None:
        if d_model is None or heads is None:
            raise UsageError("give a model (tfcli complexity bert-base) or bare dimensions (--d-model 768 --heads 12)")
        if d_model % heads:
            raise UsageError(f"--d-model ({d_model}) must be divisible by --heads ({heads})")
        if kv_heads is not None and heads % kv_heads:
            raise UsageError(f"--heads ({heads}) must be divisible by --kv-heads ({kv_heads})")
        if sides:
            raise UsageError("--image-size needs a vision model; bare dimensions sweep --seq-len")
        bare = dict(d_model=d_model, heads=heads, ffn=ffn or 4 * d_model, layers=layers, kv_heads=kv_heads,
                    gated=gated, causal=causal)
        spec = None
    else:
        if d_model is not None or heads is not None or ffn is not None:
            raise UsageError("--d-model/--heads/--ffn describe a bare block; leave them out when naming a model")
        spec = resolve(model, set_)
        is_image = spec.config.default_input().image_size is not None
        if spec.config.default_input().audio_seconds is not None and (lengths or sides):
            raise UsageError(f"{spec.name} reads audio: the sweep doubles from 1 s; --max N sets the last second")
        if is_image and lengths:
            raise UsageError(f"{spec.name} is a vision model: sweep --image-size, not --seq-len")
        if not is_image and sides:
            raise UsageError(f"{spec.name} reads tokens: sweep --seq-len, not --image-size")
    report = complexity_report(spec, lengths or sides, max_, batch=batch, dtype=dtype,
                               causal_half=causal_half, bare=bare)
    written = write_plot(report, plot) if plot else None
    o.write_csv(csv, report.csv_rows())
    if json_:
        data = report.to_dict()
        if written:
            data["plot"] = written
        o.print_json(data, "complexity")
        return
    console = make_console()
    render_complexity(report, console)
    if written:
        console.print(f"plot written to {written}")
