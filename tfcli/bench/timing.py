"""Timing: the warm-up and timed passes (CUDA events or perf_counter), the SDPA kernel that
ran, and the statistics over the passes.

- every pass runs under torch.inference_mode(), on inputs built once before timing;
- warm-up passes run first (the first one also records which SDPA kernel ran and,
  with --compile, pays for compilation);
- CUDA: one pair of CUDA events around each pass, one synchronize at the end, so the
  GPU's own clock times the pass and the host is never stalled between passes;
  CPU: time.perf_counter around each pass;
- latency is reported as median, p10, p90 and min over the timed passes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

from tfcli.bench.memory import reset_peak_rss, rss_bytes
from tfcli.bench.options import BenchOptions


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
    aten = torch.ops.aten
    # under autograd SDPA is decomposed before dispatch: the kernel that ran is the op itself
    fused = {getattr(aten, op, None): name for op, name in (
        ("_scaled_dot_product_flash_attention_for_cpu", "flash"), ("_scaled_dot_product_flash_attention", "flash"),
        ("_scaled_dot_product_efficient_attention", "efficient"), ("_scaled_dot_product_cudnn_attention", "cudnn"))}
    fused.pop(None, None)

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if torch.is_grad_enabled() and func._overloadpacket in fused:
                if fused[func._overloadpacket] not in seen:
                    seen.append(fused[func._overloadpacket])
            elif func is torch.ops.aten.scaled_dot_product_attention.default:
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


def compiled_graphs() -> int:
    """Graphs torch.compile has captured in this process (dynamo's own counter)."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


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
        base = rss_bytes("VmRSS") or 0
        reset_peak_rss()
    if opts.compile:
        # compile before anything else: under the kernel-recording dispatch mode below,
        # dynamo would trace nothing and the run would silently stay eager
        graphs = compiled_graphs()
        fn()
        if compiled_graphs() == graphs:
            from tfcli.errors import UsageError

            raise UsageError("torch.compile captured no graph of this model (it ran eagerly); rerun without --compile")
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
        peak = rss_bytes("VmHWM") or 0
        growth = max(peak - base, 0)
    return Stats.of(times), backends, peak, growth
