"""Memory: the estimate checked before any weight is allocated, what the device has free,
the peak a run reached, and recognising out-of-memory errors."""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass

from tfcli.bench.devices import DTYPE_BYTES
from tfcli.errors import UsageError

def parse_bytes(text: str) -> int:
    """'512MB', '2GiB', '1e9' → bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)(i?)b?\s*", text, re.IGNORECASE)
    if m is None:
        raise UsageError(f"cannot read '{text}' as a memory size; write e.g. 512MB or 2GiB")
    prefix = m.group(2).upper()
    scale = (1024 if m.group(3) else 1000) ** ("KMGT".index(prefix) + 1) if prefix else 1
    value = float(m.group(1)) * scale
    if not 0 < value < 2**63:
        raise UsageError(f"'{text.strip()}' is not a memory size a machine has; write e.g. 512MB or 2GiB")
    return int(value)


@dataclass
class MemoryEstimate:
    weights: int
    activations: int
    attention: int  # score matrices the math backend materialises

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.attention


def ffn_hidden_width(model) -> int | None:
    """Widest FFN hidden activation per token in the built model, or None if it has no FFN.

    fc1's out_features is the fact: a gated FFN (SwiGLU, GeGLU) makes gate and value in
    one matmul, so it is twice the hidden width, whatever the config calls the flag
    (a flag in T5 and DINOv2, nothing at all in Llama, which is always gated).
    """
    from tfcli.blocks.mlp import FeedForward

    widths = [m.fc1.out_features for m in model.modules() if isinstance(m, FeedForward)]
    return max(widths, default=None)


def estimate_memory(model, x, dtype: str, attn: str) -> MemoryEstimate:
    """What one inference pass of `model` (built on meta: no weights needed) holds at its
    peak at the resolved input `x`: weights, the widest activations, logits.

    Under inference_mode nothing is kept for backward, so the peak is one layer's
    live tensors (residual, norm, Q/K/V, FFN hidden) plus the logits; the math SDPA
    backend also materialises scores and probabilities of shape (B, h, T, S). The widths
    are the built modules' own (Attention, FeedForward, LMHead), not config fields.
    """
    from tfcli.blocks import Attention, LMHead
    from tfcli.blocks.embeddings import T5RelativeBias

    config = model.config
    b = DTYPE_BYTES[dtype]
    B = x.batch
    attentions = [m for m in model.modules() if isinstance(m, Attention)]
    d = max((m.out.out_features for m in attentions), default=0)
    h = max((m.num_heads for m in attentions), default=0)
    inner = max((m.num_heads * m.head_dim for m in attentions), default=0)
    # fc1's output and its activation (gated: the gate's activation and the product, each
    # half as wide) are live together
    ffn = ffn_hidden_width(model) or 4 * d
    vocab = max((m.proj.out_features for m in model.modules() if isinstance(m, LMHead)), default=0)
    enc, dec = x.tokens, (x.tgt_len or 0) if config.encoder_decoder else 0  # per sample
    longest = max(enc, dec)
    per_token = 4 * d + 4 * inner + 2 * ffn
    activations = B * longest * per_token * b + B * enc * d * b * (1 if dec else 0)  # + encoder memory
    activations += B * (dec or enc) * vocab * b  # logits
    # an additive score bias (T5's relative positions) keeps most kernels on the math path
    math_path = attn == "math" or any(isinstance(m, T5RelativeBias) for m in model.modules())
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


def rss_bytes(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
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
