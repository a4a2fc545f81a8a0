"""Counting MACs three ways: fvcore, torch's FlopCounterMode, and the closed form.

Both counters walk the real built module on the meta device (no weights, so a 175B model
counts in seconds): fvcore traces it with torch.jit (which works on meta tensors),
FlopCounterMode intercepts the dispatched aten ops. The convention is the one written at
the top of tfcli.analysis.analytic: MACs (fvcore's "flops"), FLOPs = 2 × MACs, norms at
fvcore's numel × 5, elementwise ops not counted, causal scores counted in full.

    handles         the op→handle tables (fvcore's and torch's), and which ops cost nothing
    fvcore_adapter  FlopCountAnalysis on meta: its jit-trace patches, restored after
    torch_counter   FlopCounterMode plus the handles and hooks it lacks
    count           one method's answer (Count) and the op → category attribution
    attention       the shapes of every attention call, for the causal half and memory
    report          FlopsReport, what `tfcli flops` shows; a measured Breakdown for `complexity`
"""

from tfcli.analysis.flops.attention import AttentionCall, attention_calls, causal_saving
from tfcli.analysis.flops.count import Count, category_of, from_breakdown
from tfcli.analysis.flops.fvcore_adapter import count_fvcore
from tfcli.analysis.flops.handles import DATA_OPS, ELEMENTWISE_OPS, FVCORE_HANDLES, HOOKED_NORMS
from tfcli.analysis.flops.report import (AGREEMENT, METHODS, FlopsReport, causal_convention,
                                        flops_report, share)
from tfcli.analysis.flops.torch_counter import count_torch

__all__ = [
    "AGREEMENT", "DATA_OPS", "ELEMENTWISE_OPS", "FVCORE_HANDLES", "HOOKED_NORMS", "METHODS",
    "AttentionCall", "Count", "FlopsReport", "attention_calls", "category_of", "causal_convention", "causal_saving",
    "count_fvcore", "count_torch", "flops_report", "from_breakdown", "share",
]
