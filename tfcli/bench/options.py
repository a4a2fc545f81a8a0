"""What a benchmark run is asked to do: the options every part of the harness reads."""

from __future__ import annotations

from dataclasses import dataclass


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
    train: bool = False  # time a training step (tfcli.bench.train) instead of a forward pass
    optimizer: str = "adamw"  # the step's optimizer (tfcli.analysis.flops.train.OPTIMIZER_FLOPS)
