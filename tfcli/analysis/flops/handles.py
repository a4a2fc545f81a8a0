"""The op→handle tables: every op that does arithmetic in tfcli's models, and how it is counted.

fvcore knows none of `scaled_dot_product_attention`, `rms_norm`, `baddbmm`; torch's
FlopCounterMode misses `_scaled_dot_product_flash_attention_for_cpu` (the CPU kernel) and
has no norms at all. Ops that move data cost nothing; elementwise ops are left out by
convention; anything else without a handle is reported by the counters, never dropped.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from typing import Any

# ops that move or index data: no arithmetic, nothing to count
DATA_OPS = {
    "embedding", "view", "reshape", "expand", "permute", "transpose", "t", "contiguous", "flatten",
    "unflatten", "squeeze", "unsqueeze", "split", "split_with_sizes", "chunk", "cat", "stack",
    "slice", "select", "index", "index_select", "gather", "narrow", "to", "_to_copy", "copy_",
    "clone", "detach", "alias", "empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like",
    "full", "full_like", "arange", "repeat", "repeat_interleave", "triu", "tril", "masked_fill",
    "masked_fill_", "size", "Int", "ScalarImplicit", "type_as", "lift_fresh", "_unsafe_view",
    "new_empty", "new_zeros", "new_ones", "new_full", "fill_", "zero_", "dropout", "eq", "lt",
    "gt", "le", "ge", "ne", "where", "clamp", "clamp_min", "clamp_max", "floor_divide",
    "remainder", "roll", "pad", "constant_pad_nd", "unbind", "_unsafe_index", "scalar_tensor",
    "as_strided", "bitwise_not", "logical_not", "__and__", "__or__", "bitwise_and", "logical_and", "any", "all", "floor",
    "long", "float", "int", "bool", "native_dropout", "item", "_local_scalar_dense",
    "expand_as", "randn_like", "rand_like", "randn", "rand", "normal", "linspace", "argmax", "argmin",
    "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact2d",
    "nonzero", "sort", "topk", "one_hot", "view_as", "resolve_conj", "resolve_neg", "empty_strided",
    "argsort", "bincount", "scatter", "scatter_",  # mixture-of-experts routing: grouping rows by expert
    # a training step's: the gradients of data ops, and the profiler's markers in optimizer.step()
    "select_backward", "slice_backward", "unfold_backward", "_record_function_enter_new", "_record_function_exit",
    "new_empty_strided",
}
# ops that do arithmetic but, by convention, are not counted
ELEMENTWISE_OPS = {
    "add", "add_", "sub", "rsub", "mul", "mul_", "div", "div_", "neg", "pow", "sqrt", "rsqrt",
    "exp", "log", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "relu_", "gelu", "silu",
    "softmax", "_softmax", "log_softmax", "mean", "sum", "amax", "max", "min", "outer",
    "reciprocal", "erf", "square", "var", "std", "hardtanh", "leaky_relu", "elu", "softplus",
    "mish", "_safe_softmax", "logsumexp", "cumsum", "cumprod", "addcmul", "lerp", "linalg_vector_norm",
    "norm", "upsample_bilinear2d", "upsample_bicubic2d", "_upsample_bicubic2d_aa", "adaptive_avg_pool2d", "avg_pool2d",
    "max_pool2d", "grid_sampler", "grid_sampler_2d", "native_layer_norm", "native_group_norm",
    "index_add", "index_add_",  # mixture of experts: summing each token's weighted expert outputs
    "sign", "ceil",  # DeBERTa's log-bucketed relative distances
    # a training step's: gradients of elementwise ops and of lookups (a scatter-add of rows),
    # and the optimizer's update (tfcli.analysis.flops.train counts it by convention)
    "_softmax_backward_data", "_log_softmax_backward_data", "gelu_backward", "silu_backward", "tanh_backward",
    "sigmoid_backward", "threshold_backward", "hardtanh_backward", "elu_backward", "softplus_backward",
    "embedding_dense_backward", "index_put", "_index_put_impl", "addcdiv", "maximum", "minimum",
    "scatter_add", "upsample_nearest1d_backward", "upsample_nearest2d_backward", "upsample_nearest3d_backward",
}


# -- fvcore: one table from op name to a handle returning MACs ------------------------------


def _shape(value) -> list[int] | None:
    return value.type().sizes() if value.isCompleteTensor() else None


def _matmul_macs(a: list[int], b: list[int]) -> int:
    """(…, m, k) @ (…, k, n) with broadcast batch dims; 1-D operands as numpy treats them."""
    if len(a) == 1:
        a = [1, a[0]]
    if len(b) == 1:
        b = [b[0], 1]
    batch_a, batch_b = a[:-2], b[:-2]
    batch = [max(x, y) for x, y in zip(_pad(batch_a, len(batch_b)), _pad(batch_b, len(batch_a)))]
    return math.prod(batch) * a[-2] * a[-1] * b[-1]


def _pad(dims: list[int], n: int) -> list[int]:
    return [1] * (n - len(dims)) + list(dims)


def _fv_linear(inputs, outputs):
    x, w = _shape(inputs[0]), _shape(inputs[1])
    return Counter(linear=math.prod(x) * w[0])  # (…, in) · (out, in)ᵀ; the bias is an add


def _fv_addmm(inputs, outputs):
    return Counter(addmm=_matmul_macs(_shape(inputs[1]), _shape(inputs[2])))


def _fv_mm(name: str):
    def handle(inputs, outputs):
        return Counter({name: _matmul_macs(_shape(inputs[0]), _shape(inputs[1]))})

    return handle


def _fv_baddbmm(inputs, outputs):
    return Counter(baddbmm=_matmul_macs(_shape(inputs[1]), _shape(inputs[2])))


def _fv_einsum(inputs, outputs):
    """Product of every index's size: exact for the two-operand contractions models use
    (fvcore's own handle builds numpy arrays of the operand shapes, impossible at 175B)."""
    equation = inputs[0].toIValue().replace(" ", "")
    operands = [_shape(v) for v in inputs[1].node().inputs()]
    lhs = equation.split("->")[0].split(",")
    sizes: dict[str, int] = {}
    for letters, shape in zip(lhs, operands):
        for letter, size in zip(letters.replace("...", ""), shape[-len(letters.replace("...", "")):]):
            sizes[letter] = max(sizes.get(letter, 1), size)
    return Counter(einsum=math.prod(sizes.values()) if len(operands) > 1 else 0)


def _fv_sdpa(name: str):
    def handle(inputs, outputs):
        q, k, v = (_shape(inputs[i]) for i in range(3))
        tq, dk, tk, dv = q[-2], q[-1], k[-2], v[-1]
        return Counter({name: math.prod(q[:-2]) * tq * tk * (dk + dv)})  # QKᵀ + AV, full matrix

    return handle


def _fv_norm(affine_index: int, name: str):
    def handle(inputs, outputs):
        x = _shape(inputs[0])
        affine = _shape(inputs[affine_index]) is not None
        return Counter({name: math.prod(x) * (5 if affine else 4)})

    return handle


def _fvcore_handles() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fvcore.nn import jit_handles as fv

    return {
        "aten::linear": _fv_linear,
        "aten::addmm": _fv_addmm,
        "aten::mm": _fv_mm("mm"),
        "aten::bmm": _fv_mm("bmm"),
        "aten::matmul": _fv_mm("matmul"),
        "aten::baddbmm": _fv_baddbmm,
        "aten::einsum": _fv_einsum,
        "aten::scaled_dot_product_attention": _fv_sdpa("scaled_dot_product_attention"),
        "aten::_scaled_dot_product_flash_attention_for_cpu": _fv_sdpa("scaled_dot_product_attention"),
        "aten::_convolution": fv.conv_flop_jit,  # fvcore's: output numel × in/groups × kernel
        "aten::layer_norm": _fv_norm(2, "layer_norm"),
        "aten::rms_norm": _fv_norm(2, "rms_norm"),
        "aten::group_norm": _fv_norm(2, "group_norm"),
        "aten::batch_norm": _fv_norm(1, "batch_norm"),
        "aten::instance_norm": _fv_norm(1, "instance_norm"),
    }


FVCORE_HANDLES: dict[str, Any] = {}  # filled on first use: fvcore is imported only when counting


def fvcore_table() -> dict[str, Any]:
    if not FVCORE_HANDLES:
        FVCORE_HANDLES.update(_fvcore_handles())
    return FVCORE_HANDLES


# -- torch: FlopCounterMode plus the handles it lacks ---------------------------------------


def _torch_sdpa_cpu(query, key, value, *args, out_shape=None, **kwargs) -> int:
    """The CPU flash kernel: 2 × (QKᵀ + AV) FLOPs, torch's unit inside FlopCounterMode."""
    return 2 * math.prod(query[:-2]) * query[-2] * key[-2] * (query[-1] + value[-1])


def _torch_norm(weight_index: int):
    """fvcore's norm cost, numel × (5 with a learned scale, else 4), in torch's FLOP unit."""

    def formula(input, *args, out_shape=None, **kwargs) -> int:
        weight = args[weight_index - 1] if len(args) >= weight_index else kwargs.get("weight")
        return 2 * math.prod(input) * (5 if weight is not None else 4)

    return formula


def _torch_norm_backward(weight_index: int):
    """A norm's backward: its forward cost once per gradient it produces, the input's and
    (with a learned scale or shift) the parameters' (tfcli.analysis.flops.train's rule).
    `weight_index`: the weight's place among the arguments after (grad_out, input)."""

    def formula(grad_out, input, *args, out_shape=None, **kwargs) -> int:
        weight, mask = args[weight_index], args[-1]
        grads = int(bool(mask[0])) + int(bool(mask[1] or mask[2]))
        return 2 * math.prod(input) * (5 if weight is not None else 4) * grads

    return formula


def torch_handles() -> dict[Any, Any]:
    import torch

    aten = torch.ops.aten
    return {
        aten._scaled_dot_product_flash_attention_for_cpu: _torch_sdpa_cpu,
        aten.native_layer_norm: _torch_norm(2),  # (input, normalized_shape, weight, bias, eps)
        aten.native_group_norm: _torch_norm(1),  # (input, weight, bias, N, C, HxW, group, eps)
        aten.native_batch_norm: _torch_norm(1),
        aten._native_batch_norm_legit_no_training: _torch_norm(1),
        # (grad_out, input, normalized_shape, mean, rstd, weight, bias, output_mask)
        aten.native_layer_norm_backward: _torch_norm_backward(3),
        # (grad_out, input, mean, rstd, weight, N, C, HxW, group, output_mask)
        aten.native_group_norm_backward: _torch_norm_backward(2),
        # (grad_out, input, weight, running_mean, running_var, save_mean, save_invstd, train, eps, output_mask)
        aten.native_batch_norm_backward: _torch_norm_backward(0),
    }


# RMSNorm decomposes into pow/mean/rsqrt/mul before dispatch: counted by a module hook instead
HOOKED_NORMS = ("RMSNorm", "OffsetRMSNorm")


def split_unhandled(ops: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Ops no handle counted → (uncounted, elementwise), calls summed over overloads."""
    uncounted: dict[str, int] = {}
    elementwise: dict[str, int] = {}
    for op, n in sorted(ops.items()):
        base = op.split("::")[-1].split(".")[0]
        if base.endswith("_") and not base.endswith("__") and base not in DATA_OPS | ELEMENTWISE_OPS:
            base = base[:-1]  # an in-place variant (lerp_, addcdiv_): the op's own class
        if base in DATA_OPS:
            continue
        into = elementwise if base in ELEMENTWISE_OPS else uncounted
        into[base] = into.get(base, 0) + n
    return uncounted, elementwise
