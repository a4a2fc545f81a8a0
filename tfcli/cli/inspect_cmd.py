"""`tfcli inspect`: header, layer tree, parameter breakdown."""

from __future__ import annotations

from tfcli.cli import options as o
from tfcli.cli.app import app


@app.command()
def inspect(
    model: str = o.MODEL,
    set_: list[str] = o.SET,
    batch: int = o.BATCH,
    seq_len: int = o.SEQ_LEN,
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    prompt: str = o.PROMPT,
    audio_seconds: float = o.AUDIO_SECONDS,
    depth: int = o.DEPTH,
    json_: bool = o.JSON,
) -> None:
    """Build MODEL on the meta device (no weights allocated) and show its structure."""
    from tfcli.render.fmt import make_console

    from tfcli.analysis.inspect import inspect_model
    from tfcli.catalog import resolve
    from tfcli.render.inspect import render_inspection

    o.at_least_zero(depth=depth)
    shape = o.input_shape(batch, seq_len, tgt_len, image_size, prompt, audio_seconds)
    spec = resolve(model, set_)
    ins = inspect_model(spec, shape)
    if json_:
        o.print_json(ins.to_dict(), "inspect")
    else:
        render_inspection(ins, make_console(), depth)
