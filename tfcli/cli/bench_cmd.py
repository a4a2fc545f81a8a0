"""`tfcli bench`: timed forward passes on CPU or CUDA, one length or a sweep."""

from __future__ import annotations

from pathlib import Path

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

DEFAULT_MODEL = "transformer-base"


def parse_lengths(values: list[str] | None) -> list[int | None]:
    """--seq-len 512 | --seq-len 512,1024,2048 | repeated; sorted, duplicates dropped."""
    from tfcli.errors import UsageError

    if not values:
        return [None]
    out: set[int] = set()
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or int(part) < 1:
                raise UsageError(f"--seq-len takes positive integers (e.g. 512 or 512,1024,2048); got '{part}'")
            out.add(int(part))
    if not out:
        raise UsageError("--seq-len needs at least one length")
    return sorted(out)


@app.command()
def bench(
    models: list[str] = typer.Argument(
        None, help=f"Preset names or spec files (default: {DEFAULT_MODEL}).",
        autocompletion=o.complete_names, show_default=False,
    ),
    set_: list[str] = o.SET,
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    dtype: str = typer.Option("fp32", "--dtype", help="fp32, bf16 or fp16."),
    batch: int = o.BATCH,
    seq_len: list[str] = typer.Option(
        None, "--seq-len", "-n", help="Tokens per sequence; a comma list or repeats make a sweep: -n 512,1024,2048.",
    ),
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    warmup: int = typer.Option(3, "--warmup", min=1, help="Untimed passes first (the first also compiles)."),
    iters: int = typer.Option(None, "--iters", min=1, help="Timed passes (default: as many as fill --min-time)."),
    min_time: float = typer.Option(1.0, "--min-time", min=0.0, help="Seconds of timed passes per length (at least 10 passes)."),
    threads: int = typer.Option(None, "--threads", min=1, help="CPU threads (torch.set_num_threads)."),
    attn: str = typer.Option("auto", "--attn", help="SDPA backend: auto, math, flash or efficient."),
    compile_: bool = typer.Option(False, "--compile", help="Run the model through torch.compile (compiled during warm-up)."),
    force: bool = typer.Option(False, "--force", help="Run even when the memory estimate exceeds what is available."),
    max_memory: str = typer.Option(None, "--max-memory", help="Refuse runs estimated above this (e.g. 8GiB; default: free memory)."),
    plot: Path = typer.Option(None, "--plot", help="Write latency and memory against length to this SVG file."),
    json_: bool = o.JSON,
) -> None:
    """Time MODEL's forward pass: latency percentiles, tokens/s or images/s, TFLOP/s, peak memory.

    A list of --seq-len values sweeps them and fits the scaling exponent of time
    against length. Ctrl-C prints the results so far (exit 130).
    """
    from tfcli import bench as b
    from tfcli.errors import UsageError
    from tfcli.catalog import resolve
    from tfcli.render.fmt import make_console

    # everything about the device is checked before any model is resolved or built
    dtype = b.parse_dtype(dtype)
    device = b.check_device(device, dtype, attn.strip().lower())
    limit = b.parse_bytes(max_memory) if max_memory is not None else None
    lengths = parse_lengths(seq_len)
    if plot is not None and plot.suffix.lower() != ".svg":
        raise UsageError(f"--plot writes SVG; give a file ending in .svg, not '{plot.name}'")
    opts = b.BenchOptions(
        device=device, dtype=dtype, attn=attn.strip().lower(), warmup=warmup, iters=iters,
        min_time=min_time, threads=threads, compile=compile_, force=force, max_memory=limit,
    )
    err = make_console(stderr=True)
    names = list(models or [])
    if not names:
        names = [DEFAULT_MODEL]
        if not json_:
            err.print(f"[dim]no model named; benchmarking {DEFAULT_MODEL}[/]")
    specs = [resolve(name, set_) for name in names]
    from tfcli.errors import InputShapeError
    from tfcli.catalog import family_of

    for spec in specs:
        modality = family_of(spec.config).modality
        if modality == "vision" and seq_len:
            raise InputShapeError(f"{spec.name} is a vision model: --seq-len does not apply; use --image-size")
        if modality == "text" and image_size is not None:
            raise InputShapeError(f"{spec.name} is a text model: --image-size does not apply; use --seq-len")

    results: list[b.BenchResult] = []
    interrupted = False
    progress = _progress(err, enabled=len(lengths) > 1 and not json_)
    try:
        with progress:
            for spec in specs:
                shapes = _shapes(spec.config, batch, lengths, tgt_len, image_size)
                task = progress.add_task(spec.name, total=len(shapes))

                def advance(point, task=task, name=spec.name):
                    progress.update(task, advance=1, description=f"{name} @ {point.length}")

                result = b.bench_model(spec, shapes, opts, on_point=advance)
                results.append(result)
                if result.interrupted:
                    interrupted = True
                    break
    except KeyboardInterrupt:  # between models, or while building one
        interrupted = True
    if interrupted and results:
        results[-1].interrupted = True

    if json_:
        o.print_json({"results": [r.to_dict() for r in results], "interrupted": interrupted})
    elif results:
        from tfcli.render.bench import render_results

        render_results(results, make_console())
    if plot is not None and results:
        from tfcli.render.bench import write_plot

        write_plot(results, plot)
        if not json_:
            make_console().print(f"plot written to {plot}")
    if interrupted:
        import typer

        # the app's error boundary turns Abort into "error: interrupted" and exit 130
        # (a KeyboardInterrupt would be turned into a returned exit code by typer)
        raise typer.Abort()
    if results and all(p.status == "oom" for r in results for p in r.points):
        from tfcli.errors import ResourceError

        raise ResourceError("every run ran out of memory; try a smaller --batch or --seq-len")


def _shapes(config, batch, lengths, tgt_len, image_size):
    from tfcli.spec import InputShape

    default = config.default_input()
    shapes = []
    for n in lengths:
        seq = n if n is not None else default.seq_len
        encdec = hasattr(config, "num_decoder_layers")
        tgt = (tgt_len or seq) if encdec else None
        shapes.append(InputShape(batch=batch, seq_len=seq, tgt_len=tgt, image_size=image_size or default.image_size))
    return shapes


def _progress(console, enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not enabled or not console.is_terminal,
    )
