"""fvcore's FlopCountAnalysis on the meta device, with tfcli's handles only.

fvcore traces the model with torch.jit, which works on meta tensors once two things are
patched for the length of the count (and restored after): the meta convolution's shape
checks, and F.conv*d, which must reach aten::_convolution to be traced at all.
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


class _TraceableMetaKernels:
    """Makes fvcore's torch.jit trace work on the meta device.

    The tracer hands Python meta kernels traced sizes (tensors, not ints), and the meta
    convolution's shape checks refuse them: those shape helpers run with tracing paused
    (they compute shapes only, the graph loses nothing). And F.conv*d is routed through
    aten::_convolution so the convolution appears in the graph at all."""

    def __enter__(self):
        import torch
        import torch._meta_registrations as meta
        import torch.fx.experimental.symbolic_shapes as symbolic
        import torch.nn.functional as F

        def untraced(fn):
            def call(*args, **kwargs):
                state = torch._C._get_tracing_state()
                torch._C._set_tracing_state(None)
                try:
                    args = [bool(a) if isinstance(a, torch.Tensor) and a.dim() == 0 and a.dtype == torch.bool
                            else a for a in args]
                    return fn(*args, **kwargs)
                finally:
                    torch._C._set_tracing_state(state)

            return call

        patches = [(mod, name, untraced(getattr(mod, name)))
                   for mod, name in ((meta, "calc_conv_nd_return_shape"), (symbolic, "guard_or_false"))
                   if hasattr(mod, name)]
        convs = {f"conv{n}d": (False, n) for n in (1, 2, 3)} | {f"conv_transpose{n}d": (True, n) for n in (1, 2, 3)}
        patches += [(F, name, _conv_through_underscore(*convs[name], getattr(F, name))) for name in convs]
        self.saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patches]
        for mod, name, fn in patches:
            setattr(mod, name, fn)
        return self

    def __exit__(self, *exc):
        for mod, name, fn in self.saved:
            setattr(mod, name, fn)


def count_fvcore(model, inputs: dict[str, Any]) -> Count:
    import time

    with warnings.catch_warnings():  # fvcore's import touches the deprecated torch.jit.script
        warnings.simplefilter("ignore", DeprecationWarning)
        from fvcore.nn import FlopCountAnalysis

    start = time.perf_counter()
    wrapper, args = _Positional(model, inputs)
    analysis = FlopCountAnalysis(wrapper, args)
    analysis._op_handles = {}  # use only tfcli's table, not fvcore's defaults
    analysis.set_op_handle(**fvcore_table())
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    with warnings.catch_warnings(), _TraceableMetaKernels():
        warnings.simplefilter("ignore")
        inclusive = analysis.by_module_and_operator()
        unsupported = dict(analysis.unsupported_ops())
    # the wrapper adds a "model." level: strip it
    inclusive = {k[len("model."):] if k.startswith("model.") else ("" if k == "model" else None): v
                 for k, v in inclusive.items()}
    inclusive.pop(None, None)
    names = [n for n, _ in model.named_modules()]
    own = own_counts(inclusive, names)
    uncounted, elementwise = split_unhandled(unsupported)
    return categorise(model, own, "fvcore", time.perf_counter() - start, uncounted, elementwise)
