"""`tfcli flops`: MACs and FLOPs by fvcore, torch's counter and the closed form."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

METHOD = o.choice(None, "--method", "-m", choices=o.FLOPS_METHODS,
                  help="Who counts: fvcore, torch's FlopCounterMode, the closed form, or all three side by side "
                       "(default fvcore; with --train, torch and analytic).")
CAUSAL_HALF = typer.Option(
    False, "--causal-half", help="Count only the masked half of causal score matrices (default: the full n×n)."
)
DEPTH = typer.Option(2, "--depth", "-d", metavar="N", help="Levels of the per-module table (0: none).")
CHECKPOINTING = typer.Option(
    False, "--checkpointing", help="With --train: checkpoint every block; count the recomputation it adds."
)


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
    train: bool = o.TRAIN,
    checkpointing: bool = CHECKPOINTING,
    optimizer: str = o.OPTIMIZER,
    json_: bool = o.JSON,
) -> None:
    """Count MACs and FLOPs of one forward pass of MODEL (meta device: no weights, seconds at 175B).

    --train counts a training step instead: the forward, a real backward and the optimizer step.
    """
    from tfcli.errors import UsageError

    shape = o.input_shape(batch, seq_len, tgt_len, image_size, prompt, audio_seconds)
    o.at_least_zero(depth=depth)
    optimizer = o.optimizer_name(optimizer, train)
    if train or checkpointing:
        return _flops_train(model, set_, method, shape, causal_half, checkpointing, optimizer, train, json_)
    from tfcli.analysis.flops import METHODS

    method = (method or "fvcore").lower()
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
        o.print_json(report.to_dict(), "flops")
    else:
        render_flops(report, make_console(), depth)


def _flops_train(model, set_, method, shape, causal_half, checkpointing, optimizer, train, json_) -> None:
    from tfcli.analysis.flops.train import TRAIN_METHODS, train_report
    from tfcli.errors import UsageError

    if not train:
        raise UsageError("--checkpointing counts a training step; add --train")
    if causal_half:
        raise UsageError("--train counts score matrices in full, as training kernels compute them; drop --causal-half")
    method = (method or "all").lower()
    if method not in (*TRAIN_METHODS, "all"):
        raise UsageError(f"--train counts with {' and '.join(TRAIN_METHODS)} (fvcore traces the forward only); "
                         f"use --method {', '.join(TRAIN_METHODS)} or all, got '{method}'")
    methods = TRAIN_METHODS if method == "all" else (method,)

    from tfcli.catalog import resolve
    from tfcli.render.fmt import make_console
    from tfcli.render.flops_train import render_train

    report = train_report(resolve(model, set_), shape, methods, optimizer, checkpointing)
    if json_:
        o.print_json(report.to_dict(), "flops")
    else:
        render_train(report, make_console())
