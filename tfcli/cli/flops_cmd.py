"""`tfcli flops`: MACs and FLOPs by fvcore, torch's counter and the closed form."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

METHOD = typer.Option("fvcore", "--method", "-m", help="fvcore | torch | analytic | all (the three side by side).")
CAUSAL_HALF = typer.Option(
    False, "--causal-half", help="Count only the masked half of causal score matrices (default: the full n×n)."
)
DEPTH = typer.Option(2, "--depth", "-d", help="Levels of the per-module table (0: none).")
# no min= here: bad values get tfcli's one-line error instead of click's usage block
SEQ_LEN = typer.Option(None, "--seq-len", "-n", help="Tokens per sequence (default: the family's).")
TGT_LEN = typer.Option(None, "--tgt-len", help="Decoder tokens for encoder-decoders (default: --seq-len).")
IMAGE_SIZE = typer.Option(None, "--image-size", help="Image side in pixels for vision models.")
BATCH = typer.Option(1, "--batch", "-b", help="Batch size.")


def check_positive(**values: int | None) -> None:
    from tfcli.errors import UsageError

    for name, value in values.items():
        if value is not None and value <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")


@app.command()
def flops(
    model: str = o.MODEL,
    set_: list[str] = o.SET,
    method: str = METHOD,
    batch: int = BATCH,
    seq_len: int = SEQ_LEN,
    tgt_len: int = TGT_LEN,
    image_size: int = IMAGE_SIZE,
    prompt: str = o.PROMPT,
    causal_half: bool = CAUSAL_HALF,
    depth: int = DEPTH,
    json_: bool = o.JSON,
) -> None:
    """Count MACs and FLOPs of one forward pass of MODEL (meta device: no weights, seconds at 175B)."""
    from tfcli.errors import UsageError

    check_positive(batch=batch, seq_len=seq_len, tgt_len=tgt_len, image_size=image_size)
    if depth < 0:
        raise UsageError(f"--depth must be 0 or more, got {depth}")
    from tfcli.analysis.flops import METHODS

    method = method.lower()
    if method not in (*METHODS, "all"):
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, all; got '{method}'")
    methods = METHODS if method == "all" else (method,)

    from tfcli.analysis.flops import flops_report
    from tfcli.catalog import resolve
    from tfcli.render.fmt import make_console
    from tfcli.render.flops import render_flops

    spec = resolve(model, set_)
    report = flops_report(spec, o.input_shape(batch, seq_len, tgt_len, image_size, prompt), methods, causal_half)
    if json_:
        o.print_json(report.to_dict())
    else:
        render_flops(report, make_console(), depth)
