"""The roofline beside each bench row: how long the pass would take if it were bound by
compute (FLOPs / peak) or by memory (bytes moved / bandwidth), and how close the measured
time comes to the larger of the two.

Peak and bandwidth: a GPU in tfcli.gpus is read off its data sheet; any other device
(every CPU, an unknown GPU) is measured once per run, by a short probe at the bench's
dtype and threads:

* GEMM peak: one square matmul (PROBE_GEMM_N² on CPU, PROBE_GEMM_N_CUDA² on a GPU) after a
  warm-up, timed PROBE_REPEATS times; the fastest gives 2n³ FLOPs / time;
* copy bandwidth: dst.copy_(src) of PROBE_COPY_BYTES, timed the same way; it reads and
  writes every byte, 2 × size / time.

Bytes moved (the convention; `traffic_bytes` counts it on the meta device, at the row's
dtype): every parameter and input read once per pass (a training step reads the
parameters twice, in the forward and in the backward), and every op's output written once
and read once (views move nothing). A training step counts its backward and optimizer
ops the same way. This is eager execution's traffic: a fused kernel keeps some of it in
registers (flash attention never writes the score matrix; meta training counts attention
as the math backend, which does), so the memory bound is an upper estimate of what a
fused run moves.
"""

from __future__ import annotations

from dataclasses import dataclass

PROBE_GEMM_N = 1024
PROBE_GEMM_N_CUDA = 4096
PROBE_COPY_BYTES = 128 * 2**20
PROBE_REPEATS = 5

_PROBES: dict[tuple, float] = {}  # (probe, device, dtype, threads) → result: measured once per run


@dataclass
class DeviceLimits:
    peak_tflops: float | None  # dense, at the bench dtype
    peak_source: str  # "data sheet" | "measured: 1024² fp32 GEMM"
    bandwidth: float | None  # bytes/s
    bandwidth_source: str


def _probe(key: tuple, run) -> float:
    if key not in _PROBES:
        _PROBES[key] = run()
    return _PROBES[key]


def gemm_peak(device: str, dtype: str) -> float:
    """Measured TFLOP/s of one square matmul at this dtype (the fastest of the repeats)."""
    import torch

    from tfcli.bench.devices import torch_dtype
    from tfcli.bench.timing import timed_passes

    n = PROBE_GEMM_N_CUDA if device.startswith("cuda") else PROBE_GEMM_N

    def run() -> float:
        a = torch.randn(n, n, device=device).to(torch_dtype(dtype))
        b = torch.randn(n, n, device=device).to(torch_dtype(dtype))
        with torch.inference_mode():
            fn = lambda: torch.mm(a, b)  # noqa: E731
            timed_passes(fn, 1, device)  # warm-up: first-call costs (allocation, kernel choice)
            best = min(timed_passes(fn, PROBE_REPEATS, device))
        return 2 * n**3 / best / 1e12

    return _probe(("gemm", device, dtype, torch.get_num_threads()), run)


def copy_bandwidth(device: str) -> float:
    """Measured bytes/s of one large device-to-device copy (read + write, the fastest repeat)."""
    import torch

    from tfcli.bench.timing import timed_passes

    def run() -> float:
        src = torch.ones(PROBE_COPY_BYTES // 4, device=device)
        dst = torch.empty_like(src)
        with torch.inference_mode():
            fn = lambda: dst.copy_(src)  # noqa: E731
            timed_passes(fn, 1, device)
            best = min(timed_passes(fn, PROBE_REPEATS, device))
        return 2 * PROBE_COPY_BYTES / best

    return _probe(("copy", device, torch.get_num_threads()), run)


def device_limits(device: str, device_name: str, dtype: str, datasheet_peak: float | None) -> DeviceLimits:
    """The data sheet's figures for a known GPU, else the probes' (labelled as measured)."""
    from tfcli.gpus import gpu_by_cuda_name

    gpu = gpu_by_cuda_name(device_name) if device.startswith("cuda") else None
    if datasheet_peak:
        peak, peak_source = datasheet_peak, "data sheet"
    else:
        n = PROBE_GEMM_N_CUDA if device.startswith("cuda") else PROBE_GEMM_N
        peak, peak_source = gemm_peak(device, dtype), f"measured: {n}² {dtype} GEMM"
    if gpu is not None:
        bandwidth, bandwidth_source = gpu.bandwidth, "data sheet"
    else:
        from tfcli.humanize import human_bytes

        bandwidth = copy_bandwidth(device)
        bandwidth_source = f"measured: {human_bytes(PROBE_COPY_BYTES)} copy"
    return DeviceLimits(peak, peak_source, bandwidth, bandwidth_source)


def traffic_bytes(model, inputs: dict, step=None, param_reads: int = 1) -> int:
    """Bytes one pass moves by the convention above, counted on the meta device: `step`
    runs the pass (default: a forward under no_grad); a training step (forward, backward,
    optimizer) reads the parameters twice, `param_reads=2`."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    written = [0]

    class Outputs(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if not func.is_view:
                written[0] += sum(t.numel() * t.element_size() for t in tree_leaves(out) if isinstance(t, torch.Tensor))
            return out

    def forward():
        with torch.no_grad():
            model(**inputs)

    with Outputs():
        (step or forward)()
    params = sum(p.numel() * p.element_size() for p in {id(p): p for p in model.parameters()}.values())
    given = sum(t.numel() * t.element_size() for t in inputs.values() if isinstance(t, torch.Tensor))
    return param_reads * params + given + 2 * written[0]


@dataclass
class Roofline:
    compute_s: float | None  # FLOPs / peak
    memory_s: float | None  # bytes / bandwidth
    fraction: float | None  # the larger bound ÷ the measured time: 1 = on the roofline
    bound: str | None  # "compute" | "memory"


def roofline(flops: int | None, traffic: int | None, measured_s: float, limits: DeviceLimits) -> Roofline:
    compute = flops / (limits.peak_tflops * 1e12) if flops and limits.peak_tflops else None
    memory = traffic / limits.bandwidth if traffic and limits.bandwidth else None
    bounds = {k: v for k, v in (("compute", compute), ("memory", memory)) if v is not None}
    if not bounds or not measured_s:
        return Roofline(compute, memory, None, None)
    bound = max(bounds, key=bounds.get)
    return Roofline(compute, memory, bounds[bound] / measured_s, bound)
