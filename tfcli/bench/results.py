"""What a benchmark run returns: its settings, one Point per input shape.

The to_dict methods are bench's --json keys (docs/json.md): units in the names (`_ms`,
`_bytes`, `_tflop_per_s`), the model's config and --set overrides with every result."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfcli.bench.timing import Stats, loglog_slope


@dataclass
class Point:
    """One input shape: timings, throughput, FLOP rate, memory; or why it has none."""

    batch: int
    seq_len: int | None
    tgt_len: int | None
    image_size: int | None
    status: str = "ok"  # ok | oom | skipped
    stats: Stats | None = None
    items: int = 0  # per pass, in `unit` (tfcli.bench.throughput.count_items)
    unit: str = "tokens"  # tokens | images | audio_seconds | samples
    throughput: float | None = None  # items per second at the median
    flops: int | None = None
    tflops: float | None = None  # achieved, at the median
    peak_fraction: float | None = None
    peak_memory: int | None = None  # CUDA: max allocated; CPU: peak resident
    memory_growth: int | None = None  # over what weights and inputs already held
    estimate: int | None = None
    backends: list[str] = field(default_factory=list)
    message: str = ""
    audio_seconds: float | None = None  # audio models: the encoder's input, in seconds
    # the roofline (tfcli.bench.roofline): bytes one pass moves, the compute- and memory-bound
    # times, and the larger bound ÷ the measured median (1 = on the roofline)
    traffic_bytes: int | None = None
    compute_bound_s: float | None = None
    memory_bound_s: float | None = None
    bound: str | None = None  # compute | memory
    roofline_fraction: float | None = None

    @property
    def length(self) -> int | None:
        if self.seq_len is None and self.audio_seconds is not None:
            return self.audio_seconds
        return self.seq_len if self.seq_len is not None else self.image_size

    def to_dict(self) -> dict:
        s = self.stats
        return {
            "status": self.status,
            "batch": self.batch,
            "seq_len": self.seq_len,
            "tgt_len": self.tgt_len,
            "image_size": self.image_size,
            "audio_seconds": self.audio_seconds,
            "unit": self.unit,
            # the counts name their unit (tokens_per_s, images_per_s), as the table header does
            f"{self.unit}_per_pass": self.items,
            f"{self.unit}_per_s": self.throughput,
            **_latency_ms(s),
            "timed_passes": s.n if s else None,
            "flops": self.flops,  # of one forward pass (a training step with --train)
            "achieved_tflop_per_s": self.tflops,
            "peak_fraction": self.peak_fraction,  # of the dense peak: MFU with --train
            "traffic_bytes": self.traffic_bytes,
            "compute_bound_s": self.compute_bound_s,
            "memory_bound_s": self.memory_bound_s,
            "bound": self.bound,
            "roofline_fraction": self.roofline_fraction,
            "peak_memory_bytes": self.peak_memory,
            "memory_growth_bytes": self.memory_growth,
            "estimated_memory_bytes": self.estimate,
            "sdpa_backends": self.backends,
            "message": self.message,
        }


def _latency_ms(s: Stats | None) -> dict:
    """Stats are seconds (the timing loop's clock); JSON says milliseconds, as the table does."""
    names = ("median", "p10", "p90", "min", "mean")
    return {f"{n}_ms": (getattr(s, n) * 1e3 if s else None) for n in names}


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
    force: bool = False
    max_memory: int | None = None  # --max-memory, in bytes
    peak_source: str = "data sheet"  # or "measured: 1024² fp32 GEMM" (tfcli.bench.roofline)
    bandwidth_bytes_per_s: float | None = None
    bandwidth_source: str = ""
    train: bool = False  # a training step was timed, not a forward pass
    optimizer: str | None = None

    def to_dict(self) -> dict:
        return {
            "device": self.device,
            "device_name": self.device_name,
            "dtype": self.dtype,
            "threads": self.threads,
            "torch_version": self.torch_version,
            "attn": self.attn,
            "attn_used": self.attn_used,
            "compile": self.compile,
            "warmup": self.warmup,
            "iters": self.iters,
            "min_time_s": self.min_time,
            "force": self.force,
            "max_memory_bytes": self.max_memory,
            "peak_tflop_per_s": self.peak_tflops,
            "peak_source": self.peak_source,
            "bandwidth_bytes_per_s": self.bandwidth_bytes_per_s,
            "bandwidth_source": self.bandwidth_source,
            "train": self.train,
            "optimizer": self.optimizer,
            "cpu_capability": self.cpu_capability,
        }


@dataclass
class BenchResult:
    name: str
    family: str
    params: int
    settings: Settings
    points: list[Point] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    source: str = ""  # preset, file, hf-config
    overrides: dict = field(default_factory=dict)  # --set, as applied
    config: dict = field(default_factory=dict)  # every field of the config that ran: the run, reproducible

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
        return {
            "name": self.name,
            "family": self.family,
            "source": self.source,
            "overrides": self.overrides,
            "config": self.config,
            "params": self.params,
            "settings": self.settings.to_dict(),
            "points": [p.to_dict() for p in self.points],
            "time_exponent": self.exponent(),  # k in time ∝ length^k
            "memory_exponent": self.memory_exponent(),
            "notes": self.notes,
            "interrupted": self.interrupted,
        }

    def csv_rows(self) -> list[dict]:
        """One record per point, as timm's benchmark writes a row per model: the model, its
        settings, then the point (tfcli.outputs.write_csv flattens them)."""
        head = {k: v for k, v in self.to_dict().items() if k not in ("config", "points", "notes")}
        return [{**head, **p.to_dict()} for p in self.points]
