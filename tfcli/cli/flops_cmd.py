"""`tfcli flops`: MACs and FLOPs by fvcore, torch's counter and the closed form."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

METHOD = o.choice("fvcore", "--method", "-m", choices=o.FLOPS_METHODS,
                  help="Who counts: fvcore, torch's FlopCounterMode, the closed form, or all three side by side.")
CAUSAL_HALF = typer.Option(
    False, "--causal-half", help="Count only the masked half of causal score matrices (default: the full n×n)."
)
DEPTH = typer.Option(2, "--depth", "-d", metavar="N", help="Levels of the per-module table (0: none).")


@app.command()
def flops(
    model: str = o.MODEL,
    set_: list[str] = o.SET,
    method: str = METHOD,
    batch: int = o.BATCH,
    seq_len: int = o.SEQ_LEN,
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    prompt: str = o.PROMPT,
    audio_seconds: float = o.AUDIO_SECONDS,
    causal_half: bool = CAUSAL_HALF,
    depth: int = DEPTH,
    json_: bool = o.JSON,
) -> None:
    """Count MACs and FLOPs of one forward pass of MODEL (meta device: no weights, seconds at 175B)."""
    from tfcli.errors import UsageError

    shape = o.input_shape(batch, seq_len, tgt_len, image_size, prompt, audio_seconds)
    o.at_least_zero(depth=depth)
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
    report = flops_report(spec, shape, methods, causal_half)
    if json_:
        o.print_json(report.to_dict())
    else:
        render_flops(report, make_console(), depth)
