"""fvcore's FlopCountAnalysis on the meta device, with tfcli's handles only.

fvcore traces the model with torch.jit, which works on meta tensors with tfcli's shape
rules (tfcli.meta_shapes) below the tracer, and F.conv*d patched for the length
of the count to reach aten::_convolution, the node fvcore counts.
"""

from __future__ import annotations

import warnings
from typing import Any

from tfcli.analysis.flops.count import Count, categorise, own_counts
from tfcli.analysis.flops.handles import fvcore_table, split_unhandled


class _Positional:
    """Call a model with its keyword inputs as positional tensors and flat tensor outputs
    (fvcore's jit trace takes a tuple of tensors and wants tensors back)."""

    def __new__(cls, model, inputs: dict[str, Any]):
        import torch
        from torch import nn
        from torch.utils._pytree import tree_leaves

        keys = [k for k, v in inputs.items() if isinstance(v, torch.Tensor)]
        fixed = {k: v for k, v in inputs.items() if k not in keys}

        class Wrapper(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, *args):
                out = self.model(**dict(zip(keys, args)), **fixed)
                return tuple(x for x in tree_leaves(out) if isinstance(x, torch.Tensor))

        return Wrapper(), tuple(inputs[k] for k in keys)


def _conv_through_underscore(transposed: bool, nd: int, original):
    """F.conv*d that reaches aten::_convolution, the node fvcore's trace needs, on meta too.

    On the meta device F.conv2d goes straight to convolution's meta kernel, which the tracer
    does not record (it records _convolution, which meta never calls): the conv would vanish
    from the graph. Calling torch._convolution directly is traced and has meta support."""
    import torch

    def tup(v):
        return list(v) if isinstance(v, (list, tuple)) else [v] * nd

    def conv(input, weight, bias=None, stride=1, padding=0, *rest):
        if input.device.type != "meta":
            return original(input, weight, bias, stride, padding, *rest)
        if transposed:
            output_padding, groups, dilation = (list(rest) + [0, 1, 1][len(rest):])[:3]
        else:
            dilation, groups = (list(rest) + [1, 1][len(rest):])[:2]
            output_padding = 0
        if isinstance(padding, str):  # 'valid' or 'same' (stride 1)
            k = weight.shape[2:]
            padding = [0] * nd if padding == "valid" else [d * (kk - 1) // 2 for d, kk in zip(tup(dilation), k)]
        return torch._convolution(input, weight, bias, tup(stride), tup(padding), tup(dilation), transposed,
                                  tup(output_padding), groups, False, False, True, True)

    return conv


class _TraceableConvolutions:
    """F.conv*d routed through aten::_convolution for the length of the count, so the
    convolution appears in fvcore's graph at all (restored after)."""

    def __enter__(self):
        import torch.nn.functional as F

        convs = {f"conv{n}d": (False, n) for n in (1, 2, 3)} | {f"conv_transpose{n}d": (True, n) for n in (1, 2, 3)}
        self.saved = [(name, getattr(F, name)) for name in convs]
        for name, original in self.saved:
            setattr(F, name, _conv_through_underscore(*convs[name], original))
        return self

    def __exit__(self, *exc):
        import torch.nn.functional as F

        for name, fn in self.saved:
            setattr(F, name, fn)


def _unwrapped(by_module: dict[str, Any]) -> dict[str, Any]:
    """The wrapper adds a "model." level to every module name: strip it (and the wrapper's own row)."""
    out = {k[len("model."):] if k.startswith("model.") else ("" if k == "model" else None): v
           for k, v in by_module.items()}
    out.pop(None, None)
    return out


def count_fvcore(model, inputs: dict[str, Any]) -> Count:
    import time
    from collections import Counter

    with warnings.catch_warnings():  # fvcore's import touches the deprecated torch.jit.script
        warnings.simplefilter("ignore", DeprecationWarning)
        from fvcore.nn import FlopCountAnalysis

    from tfcli.meta_shapes import MetaShapes
    from tfcli.analysis.replicas import run_with_replicas

    start = time.perf_counter()
    wrapper, args = _Positional(model, inputs)

    def trace():
        analysis = FlopCountAnalysis(wrapper, args)
        analysis._op_handles = {}  # use only tfcli's table, not fvcore's defaults
        analysis.set_op_handle(**fvcore_table())
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        analysis.tracer_warnings("none")
        # tfcli's shape rules make the meta outputs under the tracer (and run any of torch's
        # Python meta kernels with tracing paused, so they see sizes as ints)
        with warnings.catch_warnings(), _TraceableConvolutions(), MetaShapes():
            warnings.simplefilter("ignore")
            inclusive = analysis.by_module_and_operator()
            unsupported = {name: Counter(analysis.unsupported_ops(name)) for name in inclusive}
        return inclusive, unsupported

    (inclusive, unsupported), replicas = run_with_replicas(model, inputs, trace)
    names = [n for n, _ in model.named_modules()]
    own = replicas.copy(own_counts(_unwrapped(inclusive), names), lambda ops, _path: Counter(ops))
    # ops without a handle, per module too, so identical layers' copies count theirs
    own_unhandled = replicas.copy(own_counts(_unwrapped(unsupported), names), lambda ops, _path: Counter(ops))
    total: Counter = unsupported[""] - unsupported["model"]  # the wrapper's own (none, in practice)
    for ops in own_unhandled.values():
        total.update(ops)
    uncounted, elementwise = split_unhandled(dict(total))
    return categorise(model, own, "fvcore", time.perf_counter() - start, uncounted, elementwise)
