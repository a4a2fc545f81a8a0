"""Timed forward passes: device checks, memory estimates, the timing loop, statistics.

Plain functions returning dataclasses; tfcli.render.bench draws them and
tfcli.cli.bench_cmd wires them to options. How the numbers are taken:

- every pass runs under torch.inference_mode(), on inputs built once before timing;
- warm-up passes run first (the first one also records which SDPA kernel ran and,
  with --compile, pays for compilation);
- CUDA: one pair of CUDA events around each pass, one synchronize at the end, so the
  GPU's own clock times the pass and the host is never stalled between passes;
  CPU: time.perf_counter around each pass;
- latency is reported as median, p10, p90 and min over the timed passes.
"""

from __future__ import annotations

import gc
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from tfcli.errors import DeviceError, ResourceError, UsageError

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
DTYPE_ALIASES = {"float32": "fp32", "float": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16"}
DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
ATTN_BACKENDS = ("auto", "math", "flash", "efficient")

# Peak dense (no 2:4 sparsity) TFLOP/s from the vendors' data sheets. "fp32" is the plain
# FP32 rate: PyTorch runs fp32 matmuls without TF32 unless
# torch.set_float32_matmul_precision("high") is set, in which case "tf32" applies.
# Consumer cards list fp16/bf16 with fp32 accumulation, which is what PyTorch uses.
# First match wins, so the specific names come before the general ones.
PEAK_TFLOPS: list[tuple[str, dict[str, float]]] = [
    ("H100 NVL", {"fp32": 60.0, "tf32": 417.5, "bf16": 835.0, "fp16": 835.0}),
    ("H100 PCIe", {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0, "fp16": 756.0}),
    ("H100", {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),  # SXM5 ("H100 80GB HBM3")
    ("H200", {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    ("GH200", {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    ("A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}),
    ("A10G", {"fp32": 31.2, "tf32": 35.0, "bf16": 70.0, "fp16": 70.0}),
    ("A10", {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0, "fp16": 125.0}),
    ("L40S", {"fp32": 91.6, "tf32": 183.0, "bf16": 362.1, "fp16": 362.1}),
    ("L4", {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}),
    ("V100", {"fp32": 15.7, "fp16": 125.0}),
    ("T4", {"fp32": 8.1, "fp16": 65.0}),
    ("RTX 4090", {"fp32": 82.6, "tf32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    ("RTX 3090", {"fp32": 35.6, "tf32": 35.6, "bf16": 71.0, "fp16": 71.0}),
]


# -- statistics -----------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default method)."""
    if not samples:
        raise ValueError("no samples")
    xs = sorted(samples)
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class Stats:
    """Latency of one forward pass, in seconds."""

    median: float
    p10: float
    p90: float
    min: float
    mean: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> "Stats":
        return cls(
            median=percentile(samples, 50),
            p10=percentile(samples, 10),
            p90=percentile(samples, 90),
            min=min(samples),
            mean=sum(samples) / len(samples),
            n=len(samples),
        )


def loglog_slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x: the measured exponent in y ∝ x^k."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


# -- devices and dtypes -----------------------------------------------------------


def parse_dtype(text: str) -> str:
    key = text.strip().lower()
    key = DTYPE_ALIASES.get(key, key)
    if key not in DTYPES:
        raise UsageError(f"unknown --dtype '{text}'; use one of {', '.join(DTYPES)}")
    return key


def torch_dtype(name: str):
    import torch

    return getattr(torch, DTYPES[name])


def _probe_dtype(device: str, dtype: str) -> None:
    """Run the ops every model uses on tiny tensors; raises if the device cannot."""
    import torch
    import torch.nn.functional as F

    dt = torch_dtype(dtype)
    x = torch.randn(2, 4, 8, device=device).to(dt)
    w = torch.randn(8, 8, device=device).to(dt)
    h = F.gelu(F.layer_norm(F.linear(x, w), (8,)))
    q = h.view(2, 4, 2, 4).transpose(1, 2)
    F.scaled_dot_product_attention(q, q, q).sum().item()


def check_device(device: str, dtype: str, attn: str = "auto") -> str:
    """Validate --device/--dtype/--attn before anything is built; return the device string."""
    text = device.strip().lower()
    m = re.fullmatch(r"(cpu|cuda)(?::(\d+))?", text)
    if m is None or (m.group(1) == "cpu" and m.group(2) is not None):
        raise DeviceError(f"unknown device '{device}'; use cpu, cuda or cuda:N")
    if attn not in ATTN_BACKENDS:
        raise UsageError(f"unknown --attn '{attn}'; use one of {', '.join(ATTN_BACKENDS)}")
    import torch

    if m.group(1) == "cuda":
        if not torch.cuda.is_available():
            why = "it was built without CUDA" if torch.version.cuda is None else "no GPU is visible"
            raise DeviceError(
                f"--device {device}: CUDA is not available (torch {torch.__version__}: {why}); use --device cpu"
            )
        index = int(m.group(2) or 0)
        count = torch.cuda.device_count()
        if index >= count:
            raise DeviceError(f"--device {device}: no such GPU; this machine has {count} (cuda:0..cuda:{count - 1})")
        text = f"cuda:{index}"
        try:
            native_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # torch < 2.4 has no emulation flag and reports native support only
            native_bf16 = torch.cuda.is_bf16_supported()
        if dtype == "bf16" and not native_bf16:
            name = torch.cuda.get_device_name(index)
            raise DeviceError(f"bf16 is not native on {name}; use --dtype fp16 or fp32")
        if attn == "flash" and dtype == "fp32":
            raise DeviceError("--attn flash runs fp16/bf16 only on CUDA; use --dtype bf16 or another --attn")
    elif attn == "efficient":
        raise DeviceError("--attn efficient has no CPU kernel; use auto, math or flash on cpu")
    try:
        _probe_dtype(text, dtype)
    except Exception as e:  # each backend words this differently
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DeviceError(
            f"{dtype} is not supported on {text} by torch {torch.__version__} ({first}); use --dtype fp32"
        ) from None
    return text


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    name = "CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name} ({os.cpu_count()} logical cores)"


def peak_tflops(name: str, dtype: str) -> float | None:
    """The data-sheet peak for this GPU and dtype, or None for an unknown card."""
    import torch

    key = dtype
    if dtype == "fp32" and torch.get_float32_matmul_precision() != "highest":
        key = "tf32"
    for pattern, peaks in PEAK_TFLOPS:
        if pattern.lower() in name.lower():
            return peaks.get(key)
    return None


# -- memory ----------------------------------------------------------------------


def parse_bytes(text: str) -> int:
    """'512MB', '2GiB', '1e9' → bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)(i?)b?\s*", text, re.IGNORECASE)
    if m is None:
        raise UsageError(f"cannot read '{text}' as a memory size; write e.g. 512MB or 2GiB")
    prefix = m.group(2).upper()
    scale = (1024 if m.group(3) else 1000) ** ("KMGT".index(prefix) + 1) if prefix else 1
    return int(float(m.group(1)) * scale)


@dataclass
class MemoryEstimate:
    weights: int
    activations: int
    attention: int  # score matrices the math backend materialises

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.attention


def token_counts(config, shape) -> tuple[int, int]:
    """(encoder or only stack, decoder) tokens per sample for the estimate."""
    default = config.default_input()
    image = shape.image_size or default.image_size
    patch = getattr(config, "patch_size", None)
    if image and patch:
        n = (image // patch) ** 2 + 1 + getattr(config, "num_registers", 0)
        return n, 0
    n = shape.seq_len or default.seq_len or 128
    decoder = (shape.tgt_len or n) if hasattr(config, "num_decoder_layers") else 0
    return n, decoder


def estimate_memory(config, shape, dtype: str, attn: str) -> MemoryEstimate:
    """What one inference pass holds at its peak: weights, the widest activations, logits.

    Under inference_mode nothing is kept for backward, so the peak is one layer's
    live tensors (residual, norm, Q/K/V, FFN hidden) plus the logits; the math SDPA
    backend also materialises scores and probabilities of shape (B, h, T, S).
    """
    b = DTYPE_BYTES[dtype]
    B = shape.batch
    d = getattr(config, "d_model", 768)
    h = getattr(config, "num_heads", 12)
    inner = h * (getattr(config, "head_dim", None) or d // h)
    ffn = getattr(config, "ffn_dim", 4 * d) * (2 if getattr(config, "gated", False) else 1)
    vocab = getattr(config, "vocab_size", 0)
    enc, dec = token_counts(config, shape)
    longest = max(enc, dec)
    per_token = 4 * d + 4 * inner + 2 * ffn
    activations = B * longest * per_token * b + B * enc * d * b * (1 if dec else 0)  # + encoder memory
    activations += B * (dec or enc) * vocab * b  # logits
    # an additive score bias (T5's relative positions) keeps most kernels on the math path
    math_path = attn == "math" or getattr(config, "relative_buckets", None) is not None
    attention = 2 * B * h * longest * longest * b if math_path else 0
    return MemoryEstimate(config.num_params() * b, activations, attention)


def available_memory(device: str) -> int:
    if device.startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))


def _rss_bytes(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Linux resets the process's high-water mark (VmHWM) when "5" is written here."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def is_oom(e: BaseException) -> bool:
    import torch

    if isinstance(e, torch.OutOfMemoryError):
        return True
    text = str(e).lower()
    return isinstance(e, (RuntimeError, MemoryError)) and (
        "out of memory" in text or "not enough memory" in text or "can't allocate memory" in text
        or isinstance(e, MemoryError)
    )


def free_memory(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(torch.device(device))
        torch.cuda.empty_cache()


# -- the timing loop ---------------------------------------------------------------


def timed_passes(fn: Callable[[], Any], n: int, device: str) -> list[float]:
    """n passes of fn, seconds each. fn's output is dropped at once so memory stays flat."""
    import torch

    if device.startswith("cuda"):
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
        torch.cuda.synchronize(torch.device(device))
        for i in range(n):
            starts[i].record()
            fn()
            ends[i].record()
        torch.cuda.synchronize(torch.device(device))
        return [s.elapsed_time(e) / 1e3 for s, e in zip(starts, ends)]  # events give ms
    clock = time.perf_counter
    times = []
    for _ in range(n):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return times


def sdpa_backends_used(fn: Callable[[], Any]) -> list[str]:
    """Run fn once and ask SDPA which kernel each attention call would pick.

    A dispatch mode sees every aten.scaled_dot_product_attention call;
    torch._fused_sdp_choice is the dispatcher's own choice under the active
    sdpa_kernel() restriction, so this is the kernel that really ran.
    """
    import torch
    from torch.nn.attention import SDPBackend
    from torch.utils._python_dispatch import TorchDispatchMode

    names = {
        "MATH": "math", "FLASH_ATTENTION": "flash", "EFFICIENT_ATTENTION": "efficient",
        "CUDNN_ATTENTION": "cudnn", "OVERRIDEABLE": "overrideable", "ERROR": "none",
    }
    seen: list[str] = []

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is torch.ops.aten.scaled_dot_product_attention.default:
                try:
                    choice = names.get(SDPBackend(torch._fused_sdp_choice(*args, **kwargs)).name, "?")
                except Exception:  # private API; never let it break a run
                    choice = "?"
                if choice not in seen:
                    seen.append(choice)
            return func(*args, **kwargs)

    with Recorder():
        fn()
    return seen


def attn_context(attn: str):
    import contextlib

    if attn == "auto":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backend = {"math": SDPBackend.MATH, "flash": SDPBackend.FLASH_ATTENTION,
               "efficient": SDPBackend.EFFICIENT_ATTENTION}[attn]
    return sdpa_kernel(backend)


# -- FLOPs -------------------------------------------------------------------------


def count_flops(model, inputs) -> int | None:
    """FLOPs of one forward pass (one multiply-add = 2 FLOPs), counted on the meta device.

    Uses the project's counter (tfcli.analysis.flops.count_torch, which returns MACs and
    knows the CPU SDPA kernel and the norms) when it is there, else torch's own
    FlopCounterMode. Either way model and inputs are on meta: no compute, any length.
    """
    try:
        from tfcli.analysis.flops import count_torch  # type: ignore[import-not-found]
    except ImportError:
        return torch_flop_counter(model, inputs)
    return 2 * int(count_torch(model, inputs).total)


def torch_flop_counter(model, inputs) -> int:
    """torch.utils.flop_counter: matmuls and attention, causal scores in full, no norms."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(**inputs)
    return int(counter.get_total_flops())


# -- one model, one or many lengths -----------------------------------------------------


@dataclass
class BenchOptions:
    device: str = "cpu"
    dtype: str = "fp32"
    attn: str = "auto"
    warmup: int = 3
    iters: int | None = None  # None: as many as fit in min_time
    min_time: float = 1.0
    threads: int | None = None
    compile: bool = False
    force: bool = False
    max_memory: int | None = None  # refuse estimates above this (default: what is free)


@dataclass
class Point:
    """One input shape: timings, throughput, FLOP rate, memory; or why it has none."""

    batch: int
    seq_len: int | None
    tgt_len: int | None
    image_size: int | None
    status: str = "ok"  # ok | oom | skipped
    stats: Stats | None = None
    items: int = 0  # tokens (text) or images (vision) per pass
    unit: str = "tokens"
    throughput: float | None = None  # items per second at the median
    flops: int | None = None
    tflops: float | None = None  # achieved, at the median
    peak_fraction: float | None = None
    peak_memory: int | None = None  # CUDA: max allocated; CPU: peak resident
    memory_growth: int | None = None  # over what weights and inputs already held
    estimate: int | None = None
    backends: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def length(self) -> int | None:
        return self.seq_len if self.seq_len is not None else self.image_size


@dataclass
class Settings:
    device: str
    device_name: str
    dtype: str
    threads: int
    torch_version: str
    attn: str
    attn_used: str
    compile: bool
    warmup: int
    iters: int | None
    min_time: float
    peak_tflops: float | None
    cpu_capability: str | None


@dataclass
class BenchResult:
    name: str
    family: str
    params: int
    settings: Settings
    points: list[Point] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok_points(self) -> list[Point]:
        return [p for p in self.points if p.status == "ok"]

    def exponent(self) -> float | None:
        """Fitted k in time ∝ length^k over the lengths that ran."""
        pts = [p for p in self.ok_points if p.length]
        return loglog_slope([p.length for p in pts], [p.stats.median for p in pts])

    def memory_exponent(self) -> float | None:
        pts = [p for p in self.ok_points if p.length and p.memory_growth]
        return loglog_slope([p.length for p in pts], [p.memory_growth for p in pts])

    def to_dict(self) -> dict:
        d = asdict(self)
        d["exponent"] = self.exponent()
        d["memory_exponent"] = self.memory_exponent()
        return d


def measure(fn: Callable[[], Any], device: str, opts: BenchOptions) -> tuple[Stats, list[str], int, int]:
    """Warm up, time, and take the peak memory of fn; returns (stats, kernels, peak, growth).

    The first warm-up pass records the SDPA kernel (and compiles, with --compile);
    the last one estimates a pass's cost so --min-time can choose the count.
    """
    import torch

    cuda = device.startswith("cuda")
    if cuda:
        dev = torch.device(device)
        torch.cuda.synchronize(dev)
        base = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
    else:
        base = _rss_bytes("VmRSS") or 0
        _reset_peak_rss()
    backends = sdpa_backends_used(fn)
    estimate = None
    for _ in range(max(opts.warmup - 1, 0)):
        estimate = timed_passes(fn, 1, device)[0]
    n = opts.iters
    if n is None:
        if estimate is None:
            estimate = timed_passes(fn, 1, device)[0]
        n = max(10, min(100_000, math.ceil(opts.min_time / max(estimate, 1e-9))))
    times = timed_passes(fn, n, device)
    if cuda:
        peak = torch.cuda.max_memory_allocated(dev)
        growth = peak - base
    else:
        peak = _rss_bytes("VmHWM") or 0
        growth = max(peak - base, 0)
    return Stats.of(times), backends, peak, growth


def _count_items(inputs: dict, modality: str) -> tuple[int, str]:
    import torch

    if modality == "vision":
        first = next(v for v in inputs.values() if torch.is_tensor(v))
        return int(first.shape[0]), "images"
    return sum(int(v.numel()) for v in inputs.values() if torch.is_tensor(v) and not v.is_floating_point()), "tokens"


def context_note(model, name: str, shape) -> str | None:
    ctx = model.context_length()
    longest = max(shape.seq_len or 0, shape.tgt_len or 0)
    if ctx is not None and longest > ctx:
        return (
            f"--seq-len {longest} exceeds {name}'s learned position table ({ctx}); positions past "
            f"{ctx} reuse the table for this run (same cost; the trained model never saw them)"
        )
    return None


def bench_model(
    spec,
    shapes: list,
    opts: BenchOptions,
    on_point: Callable[[Point], None] | None = None,
) -> BenchResult:
    """Benchmark one resolved spec at each InputShape in `shapes` (a sweep when several).

    Shapes estimated not to fit are skipped (refused outright when none fit, unless
    --force); an OOM marks its shape and the sweep goes on; Ctrl-C ends the sweep and
    returns what was measured, with `interrupted` set.
    """
    import torch

    from tfcli.build import build_model
    from tfcli.catalog import family_of

    config = spec.config
    family = family_of(config)
    device = opts.device
    if opts.threads is not None:
        torch.set_num_threads(opts.threads)
    name = device_name(device)
    settings = Settings(
        device=device, device_name=name, dtype=opts.dtype, threads=torch.get_num_threads(),
        torch_version=torch.__version__, attn=opts.attn, attn_used="", compile=opts.compile,
        warmup=opts.warmup, iters=opts.iters, min_time=opts.min_time,
        peak_tflops=peak_tflops(name, opts.dtype) if device.startswith("cuda") else None,
        cpu_capability=None if device.startswith("cuda") else torch.backends.cpu.get_cpu_capability(),
    )
    result = BenchResult(spec.name, config.family, config.num_params(), settings)
    if not device.startswith("cuda") and opts.dtype != "fp32" and not _native_low_precision(settings.cpu_capability):
        result.notes.append(
            f"{opts.dtype} on a CPU without AMX/AVX512-BF16 ({settings.cpu_capability}) is emulated; expect it slower than fp32"
        )

    # the memory check comes before any weight is allocated
    limit = opts.max_memory if opts.max_memory is not None else available_memory(device)
    where = "the --max-memory limit" if opts.max_memory is not None else f"available on {device}"
    estimates = [estimate_memory(config, s, opts.dtype, opts.attn) for s in shapes]
    fits = [opts.force or e.total <= limit for e in estimates]
    if not any(fits):
        e = min(estimates, key=lambda e: e.total)
        from tfcli.render.fmt import human_bytes as hb

        raise ResourceError(
            f"{spec.name} needs about {hb(e.total)} (weights {hb(e.weights)} + activations "
            f"{hb(e.activations)} + attention {hb(e.attention)}) but {hb(limit)} is {where}; "
            "use a smaller --batch/--seq-len, --attn flash, or --force to try anyway"
        )

    model = build_model(config, device=device, dtype=torch_dtype(opts.dtype))
    meta_model = build_model(config, device="meta", dtype=torch_dtype(opts.dtype))
    runner = model
    if opts.compile:
        runner = torch.compile(model, dynamic=False)

    for shape, est, fit in zip(shapes, estimates, fits):
        point = Point(shape.batch, shape.seq_len, shape.tgt_len, shape.image_size, estimate=est.total)
        note = context_note(model, spec.name, shape)
        if note and note not in result.notes:
            result.notes.append(note)
        if not fit:
            from tfcli.render.fmt import human_bytes as hb

            point.status, point.message = "skipped", f"needs ~{hb(est.total)} > {hb(limit)}"
            result.points.append(point)
            if on_point:
                on_point(point)
            continue
        try:
            # counted outside inference_mode: FlopCounterMode's module tracker hooks autograd
            with torch.no_grad():
                point.flops = count_flops(meta_model, _cast(meta_model.example_inputs(shape, "meta"), opts.dtype))
            with torch.inference_mode():
                inputs = _cast(model.example_inputs(shape, device), opts.dtype)
            point.items, point.unit = _count_items(inputs, family.modality)

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
            result.points.append(point)
            if on_point:
                on_point(point)
            continue
        point.stats, point.backends = stats, backends
        point.peak_memory, point.memory_growth = peak, growth
        point.throughput = point.items / stats.median
        if point.flops:
            point.tflops = point.flops / stats.median / 1e12
            if settings.peak_tflops:
                point.peak_fraction = point.tflops / settings.peak_tflops
        result.points.append(point)
        if on_point:
            on_point(point)

    used = []
    for p in result.points:
        used += [b for b in p.backends if b not in used]
    settings.attn_used = " + ".join(used) or "-"
    if opts.compile:
        result.notes.append("torch.compile: compilation ran during warm-up and is not timed")
    del model, runner, meta_model
    free_memory(device)
    return result


def _native_low_precision(capability: str | None) -> bool:
    return capability is not None and ("AMX" in capability or "AVX512" in capability)


def _cast(inputs: dict, dtype: str) -> dict:
    """Float inputs (pixels, latents) follow --dtype; token ids stay integers."""
    import torch

    dt = torch_dtype(dtype)
    return {k: v.to(dt) if torch.is_tensor(v) and v.is_floating_point() else v for k, v in inputs.items()}


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
