"""`tfcli graph NAME|FILE -o FILE`: a block diagram in the style of the paper's figure."""

from __future__ import annotations

from pathlib import Path

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app


@app.command()
def graph(
    model: str = o.MODEL,
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE", show_default=False,
                                help="File to write: .svg, .png, .pdf or .dot."),
    set_: list[str] = o.SET,
    depth: int = typer.Option(
        None, "--depth", "-d", show_default=False, metavar="N",
        help="Levels of containers to open (repeated blocks are drawn once with their count). "
        "Default: 2, or fewer when that would draw more than 60 boxes (SD's U-Net).",
    ),
    batch: int = o.BATCH,
    seq_len: int = o.SEQ_LEN,
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    prompt: str = o.PROMPT,
    audio_seconds: float = o.AUDIO_SECONDS,
) -> None:
    """Draw MODEL's blocks with Graphviz: embeddings, positions, N× blocks, heads.

    The input options change only the shapes written in the labels."""
    from tfcli.errors import TfcliError, UsageError
    from tfcli.outputs import check_output_path
    from tfcli.render.graph import FORMATS

    shape = o.input_shape(batch, seq_len, tgt_len, image_size, prompt, audio_seconds)
    o.at_least_zero(depth=depth)
    if output.suffix.lower() not in FORMATS:
        raise UsageError(f"cannot tell the format of '{output}'; end it in {', '.join(FORMATS)}")
    output = check_output_path(output, "--output", FORMATS)  # before anything is built

    from tfcli.analysis.graph import build_graph, build_graph_auto
    from tfcli.analysis.inputs import resolve_input
    from tfcli.build import build_model
    from tfcli.catalog import resolve
    from tfcli.render.graph import write_graph

    spec = resolve(model, set_)
    x = resolve_input(spec, shape, forward=True)
    net = build_model(spec.config, device="meta")
    inputs = net.example_inputs(x, "meta")
    if depth is None:
        g, used = build_graph_auto(net, inputs, title=spec.name)
        if used < 2:
            typer.echo(f"note: drawn at --depth {used} to stay readable; --depth {used + 1} opens the next level", err=True)
    else:
        g = build_graph(net, inputs, depth=depth, title=spec.name)
    written, problem = write_graph(g, output)
    if problem:
        raise TfcliError(problem)
    typer.echo(f"wrote {written} ({len(g.nodes)} boxes, {len(g.edges)} arrows)")
