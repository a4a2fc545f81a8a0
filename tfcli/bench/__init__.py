"""Timed forward passes: device checks, memory estimates, the timing loop, statistics.

Plain functions returning dataclasses; tfcli.render.bench draws them and
tfcli.cli.bench_cmd wires them to options. One module per concern:

- devices: --device/--dtype/--attn checks, device names, data-sheet peaks;
- memory: the estimate before building, free memory, peak measurement, OOM errors;
- timing: warm-up and timed passes, the SDPA kernel that ran, statistics;
- results: the dataclasses a run returns;
- runner: bench_model, one shape or a sweep.

No module imports torch at import time, so `tfcli --help` stays fast.
"""

from tfcli.bench.devices import check_device, device_name, parse_dtype, peak_tflops, torch_dtype
from tfcli.bench.memory import MemoryEstimate, available_memory, estimate_memory, free_memory, is_oom, parse_bytes
from tfcli.bench.options import BenchOptions
from tfcli.bench.results import BenchResult, Point, Settings
from tfcli.bench.runner import bench_model
from tfcli.bench.timing import Stats, loglog_slope, measure, percentile, timed_passes

__all__ = [
    "BenchOptions", "BenchResult", "MemoryEstimate", "Point", "Settings", "Stats",
    "available_memory", "bench_model", "check_device", "device_name", "estimate_memory",
    "free_memory", "is_oom", "loglog_slope", "measure", "parse_bytes", "parse_dtype",
    "peak_tflops", "percentile", "timed_passes", "torch_dtype",
]
