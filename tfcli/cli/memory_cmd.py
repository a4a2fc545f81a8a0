"""`tfcli memory`: will it fit, for inference and for training; --measure checks the estimate."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app


@app.command()
def memory(
    model: str = o.MODEL,
    set_: list[str] = o.SET,
    batch: int = o.BATCH,
    seq_len: int = o.SEQ_LEN,
    tgt_len: int = o.TGT_LEN,
    image_size: int = o.IMAGE_SIZE,
    prompt: str = o.PROMPT,
    audio_seconds: float = o.AUDIO_SECONDS,
    gpu: str = o.choice(None, "--gpu", choices=o.GPU_KEYS, metavar="KEY",
                        help=f"A known accelerator's memory: {', '.join(o.GPU_KEYS)}."),
    memory_: str = typer.Option(None, "--memory", metavar="SIZE", help="Any other device's memory: 24GiB, 16GB."),
    dtype: str = o.choice("bf16", "--dtype", choices=o.BENCH_DTYPES,
                          help="Weights and activations (bf16, fp16: mixed-precision training)."),
    optimizer: str = o.choice("adamw", "--optimizer", choices=o.STATE_OPTIMIZERS, help="The optimizer's states."),
    dp: int = typer.Option(1, "--dp", metavar="N", help="Data-parallel degree (devices sharing ZeRO/FSDP shards)."),
    tp: int = typer.Option(1, "--tp", metavar="N", help="Tensor-parallel degree."),
    pp: int = typer.Option(1, "--pp", metavar="N", help="Pipeline-parallel degree."),
    zero: int = o.choice(0, "--zero", choices=("0", "1", "2", "3"),
                         help="ZeRO stage over --dp (3 = FSDP full sharding)."),
    measure: bool = typer.Option(False, "--measure", help="Also run one real training forward on --device and count "
                                                          "the activations autograd saves (small models)."),
    device: str = o.choice("cpu", "--device", choices=o.DEVICES, metavar="[cpu|cuda|cuda:N]",
                           help="Where --measure runs."),
    json_: bool = o.JSON,
) -> None:
    """Memory to run and to train MODEL: weights per format, KV cache, activations, optimizer
    states; what fits a device (--gpu/--memory) and what parallel degrees would."""
    from tfcli.errors import UsageError

    shape = o.input_shape(batch, seq_len, tgt_len, image_size, prompt, audio_seconds)
    dtype = o.one_of("--dtype", dtype, o.BENCH_DTYPES)
    optimizer = o.one_of("--optimizer", optimizer, o.STATE_OPTIMIZERS)
    o.positive(dp=dp, tp=tp, pp=pp)
    if not 0 <= zero <= 3:
        raise UsageError(f"--zero must be 0, 1, 2 or 3, got {zero}")
    if zero and dp == 1:
        raise UsageError(f"--zero {zero} shards over data-parallel devices; give --dp 2 or more")
    if gpu is not None and memory_ is not None:
        raise UsageError("give --gpu or --memory, not both")
    device_name = device_bytes = None
    if gpu is not None:
        from tfcli.gpus import gpu_by_key

        card = gpu_by_key(gpu)
        device_name, device_bytes = card.name, card.memory
    elif memory_ is not None:
        from tfcli.bench.memory import parse_bytes

        device_bytes = parse_bytes(memory_)
        device_name = f"--memory {memory_.strip()}"

    from tfcli.analysis.inputs import resolve_input
    from tfcli.analysis.memory import memory_report
    from tfcli.catalog import resolve

    spec = resolve(model, set_)
    trained = getattr(spec.config, "max_positions", None)
    if seq_len is None and trained and spec.config.image_step() is None and audio_seconds is None:
        # what fits is asked of the context a model is used at: the one it was trained to
        from dataclasses import replace

        shape = replace(shape, seq_len=trained)
    x = resolve_input(spec, shape)
    report = memory_report(spec, shape, x, dtype=dtype, device_name=device_name, device_bytes=device_bytes,
                           optimizer=optimizer, dp=dp, tp=tp, pp=pp, zero=zero)
    if measure:
        from tfcli.bench.saved import measure_saved
        from tfcli.bench.devices import check_device

        dev = check_device(device, dtype)
        report.measurement = measure_saved(spec, x, dev, dtype)
    if json_:
        o.print_json(report.to_dict(), "memory")
    else:
        from tfcli.render.fmt import make_console
        from tfcli.render.memory import render_memory

        render_memory(report, make_console())
