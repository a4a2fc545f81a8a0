"""bench_model: one model at one input shape or a sweep of them, with the memory check
before building, OOM marking, Ctrl-C handling, and FLOP rates."""

from __future__ import annotations

from typing import Callable

from tfcli.bench.devices import attn_context, cast_inputs, device_name, native_low_precision, peak_tflops, torch_dtype
from tfcli.bench.memory import available_memory, estimate_memory, free_memory, is_oom
from tfcli.bench.options import BenchOptions
from tfcli.bench.results import BenchResult, Point, Settings
from tfcli.bench.throughput import count_items
from tfcli.bench.timing import measure
from tfcli.errors import ResourceError, UsageError


def forward_flops(meta_model, meta_inputs: dict) -> int:
    """FLOPs of one forward pass: 2 × the MACs tfcli's counter finds, on the meta device."""
    from tfcli.analysis.flops import count_torch

    return 2 * int(count_torch(meta_model, meta_inputs).total)


def bench_model(
    spec,
    shapes: list,
    opts: BenchOptions,
    on_point: Callable[[Point], None] | None = None,
) -> BenchResult:
    """Benchmark one resolved spec at each resolved input in `shapes` (a sweep when several).

    Shapes estimated not to fit are skipped (refused outright when none fit, unless
    --force); an OOM marks its shape and the sweep goes on; Ctrl-C ends the sweep and
    returns what was measured, with `interrupted` set. --threads holds only for the run.
    """
    import torch

    threads_before = torch.get_num_threads()
    try:
        if opts.threads is not None:
            torch.set_num_threads(opts.threads)
        return _bench(spec, shapes, opts, on_point)
    finally:
        # process-wide state: whatever ends the run (an error, Ctrl-C), the caller gets its own back
        if torch.get_num_threads() != threads_before:
            torch.set_num_threads(threads_before)


def run_settings(opts: BenchOptions) -> Settings:
    import torch

    cuda = opts.device.startswith("cuda")
    name = device_name(opts.device)
    return Settings(
        device=opts.device, device_name=name, dtype=opts.dtype, threads=torch.get_num_threads(),
        torch_version=torch.__version__, attn=opts.attn, attn_used="", compile=opts.compile,
        warmup=opts.warmup, iters=opts.iters, min_time=opts.min_time,
        peak_tflops=peak_tflops(name, opts.dtype) if cuda else None,
        cpu_capability=None if cuda else torch.backends.cpu.get_cpu_capability(),
        force=opts.force, max_memory=opts.max_memory,
        train=opts.train, optimizer=opts.optimizer if opts.train else None,
    )


def _bench(spec, shapes: list, opts: BenchOptions, on_point: Callable[[Point], None] | None) -> BenchResult:
    import torch

    from tfcli.bench.roofline import device_limits, roofline, traffic_bytes
    from tfcli.bench.train import step_flops, step_traffic, training_estimate, training_step
    from tfcli.build import build_model
    from tfcli.humanize import human_bytes as hb

    config = spec.config
    device = opts.device
    settings = run_settings(opts)
    # the roofline's peak and bandwidth: a known GPU's data sheet, else probes measured once a run
    limits = device_limits(device, settings.device_name, opts.dtype, settings.peak_tflops)
    settings.peak_tflops, settings.peak_source = limits.peak_tflops, limits.peak_source
    settings.bandwidth_bytes_per_s, settings.bandwidth_source = limits.bandwidth, limits.bandwidth_source
    result = BenchResult(spec.name, config.family, config.num_params(), settings, source=spec.source,
                         overrides=dict(spec.overrides), config=config.to_dict())
    if not device.startswith("cuda") and opts.dtype != "fp32" and not native_low_precision(settings.cpu_capability):
        result.notes.append(
            f"{opts.dtype} on a CPU without AMX/AVX512-BF16 ({settings.cpu_capability}) is emulated; expect it slower than fp32"
        )

    # on meta first (no weights): the memory estimate reads its layers, FLOPs and item
    # counts its inputs, and the memory check comes before any weight is allocated
    meta_model = build_model(config, device="meta", dtype=torch_dtype(opts.dtype))
    limit = opts.max_memory if opts.max_memory is not None else available_memory(device)
    where = "the --max-memory limit" if opts.max_memory is not None else f"available on {device}"
    estimates = [estimate_memory(meta_model, s, opts.dtype, opts.attn) for s in shapes]
    if opts.train:  # gradients and optimizer state beside the weights
        estimates = [training_estimate(e, opts.optimizer) for e in estimates]
    fits = [opts.force or e.total <= limit for e in estimates]
    if not any(fits):
        e = min(estimates, key=lambda e: e.total)
        raise ResourceError(
            f"{spec.name} needs about {hb(e.total)} (weights {hb(e.weights)} + activations "
            f"{hb(e.activations)} + attention {hb(e.attention)}) but {hb(limit)} is {where}; "
            "use a smaller --batch/--seq-len, --attn flash, or --force to try anyway"
        )

    model = build_model(config, device=device, dtype=torch_dtype(opts.dtype))
    if opts.train:
        model.train()
    runner = torch.compile(model, dynamic=False) if opts.compile else model

    def record(point: Point) -> None:
        result.points.append(point)
        if on_point:
            on_point(point)

    for shape, est, fit in zip(shapes, estimates, fits):
        point = Point(shape.batch, shape.seq_len, shape.tgt_len, shape.image_size, estimate=est.total,
                      audio_seconds=shape.audio_seconds)
        meta_inputs = cast_inputs(meta_model.example_inputs(shape, "meta"), opts.dtype)
        count = count_items(meta_inputs, shape)
        point.items, point.unit = count.items, count.unit
        for note in (*shape.notes, count.note):
            if note and note not in result.notes:
                result.notes.append(note)
        if not fit:
            point.status, point.message = "skipped", f"needs ~{hb(est.total)} > {hb(limit)}"
            record(point)
            continue
        try:
            if opts.train:  # inputs made outside inference mode: the backward saves them
                point.flops = step_flops(meta_model, meta_inputs, opts.optimizer, spec.name)
                point.traffic_bytes = step_traffic(meta_model, meta_inputs, opts.optimizer, spec.name)
                with torch.no_grad():
                    inputs = cast_inputs(model.example_inputs(shape, device), opts.dtype)
                fn = training_step(runner, inputs, opts.optimizer, spec.name)
            else:
                # counted outside inference_mode: FlopCounterMode's module tracker hooks autograd
                with torch.no_grad():
                    point.flops = forward_flops(meta_model, meta_inputs)
                point.traffic_bytes = traffic_bytes(meta_model, meta_inputs)
                with torch.inference_mode():
                    inputs = cast_inputs(model.example_inputs(shape, device), opts.dtype)

                def fn():
                    with torch.inference_mode():
                        return runner(**inputs)

            with attn_context(opts.attn):
                stats, backends, peak, growth = measure(fn, device, opts)
        except KeyboardInterrupt:
            result.interrupted = True
            break
        except Exception as e:
            if not is_oom(e):
                raise _explain(e, opts) from None
            point.status, point.message = "oom", "out of memory"
        finally:
            inputs = fn = None  # noqa: F841  (drop the tensors before freeing)
        if point.status == "oom":
            # outside the except block: its traceback no longer pins the activations
            free_memory(device)
            record(point)
            continue
        point.stats, point.backends = stats, backends
        point.peak_memory, point.memory_growth = peak, growth
        point.throughput = point.items / stats.median
        point.tflops = point.flops / stats.median / 1e12
        if settings.peak_tflops:
            point.peak_fraction = point.tflops / settings.peak_tflops
        line = roofline(point.flops, point.traffic_bytes, stats.median, limits)
        point.compute_bound_s, point.memory_bound_s = line.compute_s, line.memory_s
        point.bound, point.roofline_fraction = line.bound, line.fraction
        record(point)

    used = []
    for p in result.points:
        used += [b for b in p.backends if b not in used]
    settings.attn_used = " + ".join(used) or "-"
    if opts.compile:
        result.notes.append("torch.compile: compilation ran during warm-up and is not timed")
    del model, runner, meta_model
    free_memory(device)
    return result


def _explain(e: Exception, opts: BenchOptions) -> Exception:
    """Known runtime failures → one line the user can act on."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "No available kernel" in str(e) or "No viable backend" in str(e):
        return UsageError(
            f"--attn {opts.attn} cannot run this model with {opts.dtype} on {opts.device} "
            "(it takes no attention mask, or not this dtype/head size); use --attn auto or math"
        )
    if opts.compile and ("dynamo" in type(e).__module__ or "inductor" in str(e).lower() or "Compiler" in type(e).__name__):
        return UsageError(f"torch.compile failed: {text}; rerun without --compile")
    return e
