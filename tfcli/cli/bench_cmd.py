"""`tfcli bench`: timed forward passes on CPU or CUDA, one length or a sweep."""

from __future__ import annotations

from pathlib import Path

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

DEFAULT_MODEL = "transformer-base"


@app.command()
def bench(
    ctx: typer.Context,
    models: list[str] = typer.Argument(
        None, help=f"Preset names or spec files (default: {DEFAULT_MODEL}).",
        autocompletion=o.complete_names, show_default=False, metavar="[MODEL]...",
    ),
    set_: list[str] = o.SET,
    device: str = o.choice("cpu", "--device", choices=o.DEVICES, metavar="[cpu|cuda|cuda:N]",
                           help="Where to run: the CPU, the first GPU or GPU N."),
    dtype: str = o.choice("fp32", "--dtype", choices=o.BENCH_DTYPES, help="Weights and activations."),
    batch: int = o.BATCH,
    seq_len: list[str] = o.SEQ_LENS,
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    audio_seconds: float = o.AUDIO_SECONDS,
    warmup: int = typer.Option(3, "--warmup", metavar="N", help="Untimed passes first (the first also compiles)."),
    iters: int = typer.Option(None, "--iters", metavar="N", help="Timed passes (default: as many as fill --min-time)."),
    min_time: float = typer.Option(1.0, "--min-time", metavar="SECONDS", help="Seconds of timed passes per length (at least 10 passes)."),
    threads: int = typer.Option(None, "--threads", metavar="N", help="CPU threads (torch.set_num_threads)."),
    attn: str = o.choice("auto", "--attn", choices=o.ATTN_BACKENDS,
                         help="SDPA backend (auto: whichever torch picks)."),
    compile_: bool = typer.Option(False, "--compile", help="Run the model through torch.compile (compiled during warm-up)."),
    force: bool = typer.Option(False, "--force", help="Run even when the memory estimate exceeds what is available."),
    max_memory: str = typer.Option(None, "--max-memory", metavar="SIZE", help="Refuse runs estimated above this (e.g. 8GiB; default: free memory)."),
    plot: Path = typer.Option(None, "--plot", metavar="FILE.svg", help="Write latency and memory against length to this SVG file."),
    csv: Path = o.csv_option("model and length"),
    train: bool = o.TRAIN,
    optimizer: str = o.OPTIMIZER,
    json_: bool = o.JSON,
) -> None:
    """Time MODEL's forward pass: latency percentiles, tokens/s or images/s, TFLOP/s, peak memory.

    --train times a training step instead (forward, backward, optimizer step, zero_grad)
    and its MFU. Every row has its roofline: the compute- and memory-bound times and how
    close the measured time comes. A list of --seq-len values sweeps them and fits the
    scaling exponent of time against length. Ctrl-C prints the results so far (exit 130).
    """
    from tfcli import bench as b
    from tfcli.errors import UsageError
    from tfcli.catalog import resolve
    from tfcli.render.fmt import make_console

    # everything about the device is checked before any model is resolved or built
    dtype = b.parse_dtype(dtype)
    device = b.check_device(device, dtype, attn.strip().lower())
    limit = b.parse_bytes(max_memory) if max_memory is not None else None
    optimizer = o.optimizer_name(optimizer, train)
    lengths = o.parse_lengths(seq_len) or [None]
    o.positive(batch=batch, tgt_len=tgt_len, image_size=image_size, warmup=warmup, iters=iters, threads=threads)
    import math
    import os

    if not (math.isfinite(min_time) and 0 <= min_time <= 3600):
        raise UsageError(f"--min-time must be between 0 and 3600 seconds, got {min_time}")
    cpus = os.cpu_count() or 1
    if threads is not None and threads > cpus:
        raise UsageError(f"--threads {threads} is more than the {cpus} CPU threads this machine has")
    if plot is not None:  # checked before anything is built or timed
        from tfcli.outputs import check_output_path

        plot = check_output_path(plot, "--plot", (".svg",))
    csv = o.check_csv(csv)
    opts = b.BenchOptions(
        device=device, dtype=dtype, attn=attn.strip().lower(), warmup=warmup, iters=iters,
        min_time=min_time, threads=threads, compile=compile_, force=force, max_memory=limit,
        train=train, optimizer=optimizer,
    )
    err = make_console(stderr=True)
    names = list(models or [])
    if not names:
        names = [DEFAULT_MODEL]
        if not json_:
            err.print(f"[dim]no model named; benchmarking {DEFAULT_MODEL}[/]")
    specs = [resolve(name, set_) for name in names]
    runs = [(spec, _inputs(spec, batch, lengths, tgt_len, image_size, audio_seconds)) for spec in specs]  # all checked first

    results: list[b.BenchResult] = []
    interrupted = False
    progress = _progress(err, enabled=len(lengths) > 1 and not json_)
    terminated = _on_sigterm_interrupt()
    try:
        with progress:
            for spec, shapes in runs:
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
        o.print_json({"options": o.invoked_options(ctx), "results": [r.to_dict() for r in results],
                      "interrupted": interrupted}, "bench")
    elif results:
        from tfcli.render.bench import render_results

        render_results(results, make_console())
    if plot is not None and results:
        from tfcli.render.bench import write_plot

        write_plot(results, plot)
        if not json_:
            make_console().print(f"plot written to {plot}")
    if results:  # the rows so far, when interrupted
        o.write_csv(csv, [row for r in results for row in r.csv_rows()])
    if interrupted:
        import typer

        from tfcli.errors import Terminated

        measured = any(p.status == "ok" for r in results for p in r.points)
        if not measured and not json_:
            err.print("nothing was measured: interrupted before the first run finished")
        if terminated():
            raise Terminated("terminated (SIGTERM)" + ("; the rows above are the results so far" if measured else ""))
        # the app's error boundary turns Abort into "error: interrupted" and exit 130
        # (a KeyboardInterrupt would be turned into a returned exit code by typer)
        raise typer.Abort()
    if results and all(p.status == "oom" for r in results for p in r.points):
        from tfcli.errors import ResourceError

        raise ResourceError("every run ran out of memory; try a smaller --batch or --seq-len")


def _inputs(spec, batch, lengths, tgt_len, image_size, audio_seconds=None):
    """One resolved input per length (checked against what the model reads), made here once."""
    from tfcli.analysis.inputs import resolve_input

    return [resolve_input(spec, o.input_shape(batch, n, tgt_len, image_size, audio_seconds=audio_seconds))
            for n in lengths]


def _on_sigterm_interrupt():
    """SIGTERM (a job scheduler, `timeout`) ends the sweep as Ctrl-C does: the rows so far are
    printed, then exit 143. Returns a function saying whether it came."""
    import signal
    import threading

    came: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        return lambda: False  # signals can only be handled on the main thread

    def handler(signum, frame):
        came.append(True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    return lambda: bool(came)


def _progress(console, enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not enabled or not console.is_terminal,
    )
