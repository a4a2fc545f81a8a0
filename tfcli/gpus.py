"""Accelerators tfcli knows by name: memory, bandwidth and dense peak rates. No torch.

One table serves `tfcli memory --gpu` (what fits), the roofline (compute- and memory-bound
times) and bench's MFU (the peak of the card it runs on, matched by its CUDA name).

Figures are the vendors' data sheets, dense (no 2:4 sparsity) tensor-core rates in TFLOP/s:
NVIDIA H100 / H200 / GH200 / B200 / A100 / L40S / L4 / A10 / V100 / T4 product briefs and
data sheets, the GeForce RTX 4090 / 3090 and RTX A6000 architecture white papers (fp16/bf16
with fp32 accumulation, which is what PyTorch uses), the AWS A10G instance page, and AMD's
Instinct MI300X data sheet. "fp32" is the plain FP32 rate: PyTorch runs fp32 matmuls without
TF32 unless torch.set_float32_matmul_precision("high") is set, in which case "tf32" applies.
Memory is the card's capacity in bytes (GB = 10⁹ as the vendors count; B200's 180 GB is what
HGX systems expose of its 192 GB), bandwidth in bytes per second.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from tfcli.errors import UsageError

GB = 10**9
TB = 10**12


@dataclass(frozen=True)
class Gpu:
    key: str  # what --gpu takes
    name: str
    memory: int  # bytes
    bandwidth: float  # bytes/s
    peak_tflops: dict[str, float]  # dense, by dtype
    cuda_names: tuple[str, ...] = ()  # substrings of torch.cuda.get_device_name that mean this card
    aliases: tuple[str, ...] = field(default=())

    def peak(self, dtype: str) -> float | None:
        """Dense peak TFLOP/s for a dtype, or None where the card has no such rate (bf16 on a V100)."""
        return self.peak_tflops.get(dtype)


_HOPPER = {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}
_AMPERE_DC = {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}

# First match of a CUDA name wins, so specific names come before general ones.
GPUS: tuple[Gpu, ...] = (
    Gpu("h100-nvl", "NVIDIA H100 NVL 94GB", 94 * GB, 3.9 * TB,
        {"fp32": 60.0, "tf32": 417.5, "bf16": 835.0, "fp16": 835.0}, ("H100 NVL",)),
    Gpu("h100-pcie", "NVIDIA H100 PCIe 80GB", 80 * GB, 2.0 * TB,
        {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0, "fp16": 756.0}, ("H100 PCIe",)),
    Gpu("h100-80g", "NVIDIA H100 SXM5 80GB", 80 * GB, 3.35 * TB, _HOPPER, ("H100",), ("h100", "h100-sxm")),
    Gpu("gh200", "NVIDIA GH200 (96GB HBM3)", 96 * GB, 4.0 * TB, _HOPPER, ("GH200",)),
    Gpu("h200", "NVIDIA H200 SXM 141GB", 141 * GB, 4.8 * TB, _HOPPER, ("H200",), ("h200-141g",)),
    Gpu("b200", "NVIDIA B200 (HGX, 180GB)", 180 * GB, 8.0 * TB,
        {"fp32": 75.0, "tf32": 1125.0, "bf16": 2250.0, "fp16": 2250.0}, ("B200",)),
    Gpu("a100-40g", "NVIDIA A100 SXM4 40GB", 40 * GB, 1.555 * TB, _AMPERE_DC, ("A100-SXM4-40GB", "A100-PCIE-40GB")),
    Gpu("a100-80g", "NVIDIA A100 SXM4 80GB", 80 * GB, 2.039 * TB, _AMPERE_DC, ("A100",), ("a100",)),
    Gpu("a10g", "NVIDIA A10G 24GB (AWS)", 24 * GB, 600 * GB,
        {"fp32": 31.2, "tf32": 35.0, "bf16": 70.0, "fp16": 70.0}, ("A10G",)),
    Gpu("a10", "NVIDIA A10 24GB", 24 * GB, 600 * GB,
        {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0, "fp16": 125.0}, ("A10",)),
    Gpu("l40s", "NVIDIA L40S 48GB", 48 * GB, 864 * GB,
        {"fp32": 91.6, "tf32": 183.0, "bf16": 362.1, "fp16": 362.1}, ("L40S",)),
    Gpu("l4", "NVIDIA L4 24GB", 24 * GB, 300 * GB,
        {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}, ("L4",)),
    Gpu("v100-32g", "NVIDIA V100 SXM2 32GB", 32 * GB, 900 * GB, {"fp32": 15.7, "fp16": 125.0},
        ("V100-SXM2-32GB", "V100-PCIE-32GB"), ("v100",)),
    Gpu("v100-16g", "NVIDIA V100 SXM2 16GB", 16 * GB, 900 * GB, {"fp32": 15.7, "fp16": 125.0}, ("V100",)),
    Gpu("t4", "NVIDIA T4 16GB", 16 * GB, 320 * GB, {"fp32": 8.1, "fp16": 65.0}, ("T4",)),
    Gpu("rtx4090", "NVIDIA GeForce RTX 4090 24GB", 24 * GB, 1008 * GB,
        {"fp32": 82.6, "tf32": 82.6, "bf16": 165.2, "fp16": 165.2}, ("RTX 4090",), ("4090",)),
    Gpu("rtx3090", "NVIDIA GeForce RTX 3090 24GB", 24 * GB, 936 * GB,
        {"fp32": 35.6, "tf32": 35.6, "bf16": 71.0, "fp16": 71.0}, ("RTX 3090",), ("3090",)),
    Gpu("rtx-a6000", "NVIDIA RTX A6000 48GB", 48 * GB, 768 * GB,
        {"fp32": 38.7, "tf32": 77.4, "bf16": 154.8, "fp16": 154.8}, ("RTX A6000",), ("a6000",)),
    Gpu("mi300x", "AMD Instinct MI300X 192GB", 192 * GB, 5.3 * TB,
        {"fp32": 163.4, "tf32": 653.7, "bf16": 1307.4, "fp16": 1307.4}, ("MI300X",)),
)


def gpu_by_key(text: str) -> Gpu:
    """--gpu KEY → the card; an unknown key is a usage error that lists the known ones."""
    key = text.strip().lower().replace("_", "-").replace(" ", "-")
    for gpu in GPUS:
        if key == gpu.key or key in gpu.aliases:
            return gpu
    keys = [g.key for g in GPUS]
    close = difflib.get_close_matches(key, keys + [a for g in GPUS for a in g.aliases], n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"unknown --gpu '{text}'; {hint}known: {', '.join(keys)} (or give --memory SIZE)")


def gpu_by_cuda_name(name: str) -> Gpu | None:
    """The table's card for a torch.cuda.get_device_name() string, or None for an unknown one."""
    low = name.lower()
    for gpu in GPUS:
        if any(pattern.lower() in low for pattern in gpu.cuda_names):
            return gpu
    return None
