"""Devices and dtypes: validating --device/--dtype/--attn before anything is built,
naming the device, and its data-sheet peak (tfcli.gpus)."""

from __future__ import annotations

import os
import re

from tfcli.errors import DeviceError, UsageError

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
DTYPE_ALIASES = {"float32": "fp32", "float": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16"}
DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
ATTN_BACKENDS = ("auto", "math", "flash", "efficient")

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

    from tfcli.gpus import gpu_by_cuda_name

    key = dtype
    if dtype == "fp32" and torch.get_float32_matmul_precision() != "highest":
        key = "tf32"
    gpu = gpu_by_cuda_name(name)
    return gpu.peak(key) if gpu is not None else None


def native_low_precision(capability: str | None) -> bool:
    """Whether a CPU runs bf16/fp16 matmuls natively (otherwise they are emulated)."""
    return capability is not None and ("AMX" in capability or "AVX512" in capability)


def cast_inputs(inputs: dict, dtype: str) -> dict:
    """Float inputs (pixels, latents) follow --dtype; token ids stay integers."""
    import torch

    dt = torch_dtype(dtype)
    return {k: v.to(dt) if torch.is_tensor(v) and v.is_floating_point() else v for k, v in inputs.items()}


def attn_context(attn: str):
    """The SDPA kernel restriction --attn asks for (auto: none, SDPA chooses)."""
    import contextlib

    if attn == "auto":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backend = {"math": SDPBackend.MATH, "flash": SDPBackend.FLASH_ATTENTION,
               "efficient": SDPBackend.EFFICIENT_ATTENTION}[attn]
    return sdpa_kernel(backend)
