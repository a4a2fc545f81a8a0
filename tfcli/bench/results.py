"""What a benchmark run returns: its settings, one Point per input shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
        # the rate's key names its unit (tokens_per_s, images_per_s), as the table header does
        return {(f"{self.unit}_per_s" if k == "throughput" else k): v for k, v in asdict(self).items()}


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
    peak_source: str = "data sheet"  # or "measured: 1024² fp32 GEMM" (tfcli.bench.roofline)
    bandwidth_bytes_per_s: float | None = None
    bandwidth_source: str = ""
    train: bool = False  # a training step was timed, not a forward pass
    optimizer: str | None = None


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
        d["points"] = [p.to_dict() for p in self.points]
        d["exponent"] = self.exponent()
        d["memory_exponent"] = self.memory_exponent()
        return d
