"""Counting MACs three ways: fvcore, torch's FlopCounterMode, and the closed form.

Both counters walk the real built module on the meta device (no weights, so a 175B model
counts in seconds): fvcore traces it with torch.jit (which works on meta tensors),
FlopCounterMode intercepts the dispatched aten ops. The convention is the one written at
the top of tfcli.analysis.analytic: MACs (fvcore's "flops"), FLOPs = 2 × MACs, norms at
fvcore's numel × 5, elementwise ops not counted, causal scores counted in full.

Every op that does arithmetic in tfcli's models has a handle in `FVCORE_HANDLES` (fvcore
knows none of `scaled_dot_product_attention`, `rms_norm`, `baddbmm`) or `TORCH_HANDLES`
(torch's counter misses `_scaled_dot_product_flash_attention_for_cpu`, the CPU kernel, and
has no norms at all). Ops left without a handle are reported, never dropped.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from tfcli.analysis.analytic import CATEGORIES, Breakdown, count_analytic, resolved
from tfcli.spec import InputShape, ResolvedSpec

METHODS = ("fvcore", "torch", "analytic")
AGREEMENT = 0.005  # the three methods must agree within 0.5%

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
    "as_strided", "bitwise_not", "logical_not", "__and__", "__or__", "any", "all", "floor",
    "long", "float", "int", "bool", "native_dropout", "item", "_local_scalar_dense",
    "expand_as", "randn_like", "rand_like", "randn", "rand", "normal", "linspace", "argmax", "argmin",
    "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact2d",
    "nonzero", "sort", "topk", "one_hot", "view_as", "resolve_conj", "resolve_neg", "empty_strided",
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


def _torch_handles() -> dict[Any, Any]:
    import torch

    aten = torch.ops.aten
    return {
        aten._scaled_dot_product_flash_attention_for_cpu: _torch_sdpa_cpu,
        aten.native_layer_norm: _torch_norm(2),  # (input, normalized_shape, weight, bias, eps)
        aten.native_group_norm: _torch_norm(1),  # (input, weight, bias, N, C, HxW, group, eps)
        aten.native_batch_norm: _torch_norm(1),
        aten._native_batch_norm_legit_no_training: _torch_norm(1),
    }


# RMSNorm decomposes into pow/mean/rsqrt/mul before dispatch: counted by a module hook instead
HOOKED_NORMS = ("RMSNorm",)


# -- results ----------------------------------------------------------------------------------


@dataclass
class Count:
    """One method's answer, in MACs."""

    method: str
    total: int
    by_category: dict[str, int]
    by_operator: dict[str, int] = field(default_factory=dict)
    by_module: dict[str, int] = field(default_factory=dict)  # own MACs of each module path
    uncounted: dict[str, int] = field(default_factory=dict)  # op → calls with no handle
    elementwise: dict[str, int] = field(default_factory=dict)  # op → calls, not counted by convention
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "macs": self.total,
            "flops": 2 * self.total,
            "by_category": self.by_category,
            "by_operator": self.by_operator,
            "uncounted_ops": self.uncounted,
            "elementwise_not_counted": self.elementwise,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class AttentionCall:
    module: str
    batch: int
    heads: int
    tq: int
    tk: int
    head_dim: int
    causal: bool
    window: int = 0  # SAM's windowed layers: Tq = Tk = window², batch = B × windows

    @property
    def score_macs(self) -> int:
        return self.batch * self.heads * self.tq * self.tk * self.head_dim * 2


# -- attributing ops to categories --------------------------------------------------------


PROJ_OPS = {"linear", "addmm", "mm"}


def category_of(module_category: str, op: str) -> str:
    if module_category == "attention":
        return "attn_proj" if op in PROJ_OPS else "attn_scores"
    return {
        "embeddings": "embeddings",
        "feed-forward": "feed_forward",
        "norms": "norms",
        "heads": "heads",
    }.get(module_category, "other")


def _own_counts(inclusive: dict[str, Counter], names: list[str]) -> dict[str, Counter]:
    """Inclusive per-module op counts → each module's own, minus its nearest counted
    descendants (a ModuleList is never called, so torch's counter has no row for it)."""
    present = [n for n in names if n in inclusive]
    have = set(present)
    children: dict[str, list[str]] = defaultdict(list)
    for n in present:
        if not n:
            continue
        parts = n.split(".")
        parent = next((p for p in (".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)) if p in have), "")
        children[parent].append(n)
    own: dict[str, Counter] = {}
    for n in present:
        c = Counter(inclusive[n])
        for ch in children.get(n, []):
            c.subtract(inclusive[ch])
        own[n] = +c
    return own


def _categorise(model, own: dict[str, Counter], method: str, seconds: float,
                uncounted: dict[str, int], elementwise: dict[str, int]) -> Count:
    from tfcli.analysis.params import module_categories

    cats = module_categories(model)
    by_cat = dict.fromkeys(CATEGORIES, 0)
    by_op: Counter = Counter()
    by_module: dict[str, int] = {}
    for name, ops in own.items():
        for op, n in ops.items():
            n = int(n)
            by_cat[category_of(cats.get(name, "other"), op)] += n
            by_op[op] += n
        if ops:
            by_module[name] = int(sum(ops.values()))
    return Count(method, sum(by_cat.values()), by_cat, dict(by_op), by_module, uncounted, elementwise, seconds)


def _split_unhandled(ops: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    uncounted, elementwise = {}, {}
    for op, n in sorted(ops.items()):
        base = op.split("::")[-1].split(".")[0]
        if base in DATA_OPS:
            continue
        (elementwise if base in ELEMENTWISE_OPS else uncounted)[base] = elementwise.get(base, 0) + n
    return uncounted, elementwise


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

        self.saved = [(meta, "calc_conv_nd_return_shape"), (symbolic, "guard_or_false")]
        self.saved = [(mod, name, getattr(mod, name)) for mod, name in self.saved if hasattr(mod, name)]
        for mod, name, fn in self.saved:
            setattr(mod, name, untraced(fn))
        import torch.nn.functional as F

        convs = {f"conv{n}d": (False, n) for n in (1, 2, 3)} | {f"conv_transpose{n}d": (True, n) for n in (1, 2, 3)}
        self.functional = [(F, name, getattr(F, name)) for name in convs]
        for mod, name, fn in self.functional:
            setattr(mod, name, _conv_through_underscore(*convs[name], fn))
        self.saved += self.functional
        return self

    def __exit__(self, *exc):
        for mod, name, fn in self.saved:
            setattr(mod, name, fn)


def count_fvcore(model, inputs: dict[str, Any]) -> Count:
    import time

    with warnings.catch_warnings():  # fvcore's import touches the deprecated torch.jit.script
        warnings.simplefilter("ignore", DeprecationWarning)
        from fvcore.nn import FlopCountAnalysis

    if not FVCORE_HANDLES:
        FVCORE_HANDLES.update(_fvcore_handles())
    start = time.perf_counter()
    wrapper, args = _Positional(model, inputs)
    analysis = FlopCountAnalysis(wrapper, args)
    analysis._op_handles = {}  # use only tfcli's table, not fvcore's defaults
    analysis.set_op_handle(**FVCORE_HANDLES)
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
    own = _own_counts(inclusive, names)
    uncounted, elementwise = _split_unhandled(unsupported)
    return _categorise(model, own, "fvcore", time.perf_counter() - start, uncounted, elementwise)


def count_torch(model, inputs: dict[str, Any]) -> Count:
    import time

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode, flop_registry

    custom = _torch_handles()
    known = {getattr(k, "_overloadpacket", k) for k in (*flop_registry, *custom)}
    seen: Counter = Counter()
    in_norm = [0]

    class Observer(TorchDispatchMode):
        """Records ops the counter has no formula for (outside norms, which hooks count)."""

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if in_norm[0] == 0 and func._overloadpacket not in known and not func.is_view:
                seen[func._overloadpacket.__name__] += 1
            return func(*args, **(kwargs or {}))

    norms: Counter = Counter()
    hooks = []
    for name, module in model.named_modules():
        if type(module).__name__ in HOOKED_NORMS:

            def pre(mod, args, name=name):
                in_norm[0] += 1
                affine = getattr(mod, "weight", None) is not None
                norms[name] += args[0].numel() * (5 if affine else 4)

            def post(mod, args, out):
                in_norm[0] -= 1

            hooks += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
    start = time.perf_counter()
    try:
        counter = FlopCounterMode(display=False, depth=None, custom_mapping=custom)
        with torch.no_grad(), counter, Observer():
            model(**inputs)
    finally:
        for h in hooks:
            h.remove()
    root = type(model).__name__
    inclusive: dict[str, Counter] = {}
    for key, ops in counter.get_flop_counts().items():
        if key == "Global":
            continue
        path = "" if key == root else key[len(root) + 1:] if key.startswith(root + ".") else None
        if path is None:
            continue
        inclusive[path] = Counter({op.__name__: n // 2 for op, n in ops.items()})  # FLOPs → MACs
    names = [n for n, _ in model.named_modules()]
    own = _own_counts(inclusive, names)
    for name, n in norms.items():
        own.setdefault(name, Counter())["norm"] += n
    uncounted, elementwise = _split_unhandled(dict(seen))
    return _categorise(model, own, "torch", time.perf_counter() - start, uncounted, elementwise)


def attention_calls(model, inputs: dict[str, Any]) -> list[AttentionCall]:
    """Every call of a tfcli Attention module in one meta forward: who, what shape, causal."""
    import torch

    calls: list[AttentionCall] = []
    hooks = []
    for name, module in model.named_modules():
        if hasattr(module, "num_heads") and hasattr(module, "causal") and hasattr(module, "head_dim"):

            def pre(mod, args, kwargs, name=name):
                x = args[0]
                ctx = args[1] if len(args) > 1 else kwargs.get("context")
                tk = ctx.shape[1] if (mod.cross and ctx is not None) else x.shape[1]
                calls.append(AttentionCall(name, x.shape[0], mod.num_heads, x.shape[1], tk,
                                           mod.head_dim, bool(mod.causal and not mod.cross),
                                           int(getattr(mod, "window", 0) or 0)))

            hooks.append(module.register_forward_pre_hook(pre, with_kwargs=True))
    try:
        with torch.no_grad():
            model(**inputs)
    finally:
        for h in hooks:
            h.remove()
    return calls


def causal_saving(calls: list[AttentionCall]) -> int:
    """MACs the masked half of every causal score matrix would skip (QKᵀ and AV)."""
    saved = 0
    for c in calls:
        if c.causal:
            full = c.batch * c.heads * c.tq * c.tk * c.head_dim * 2
            saved += full - c.batch * c.heads * (c.tq * (c.tq + 1) // 2) * c.head_dim * 2
    return saved


def from_breakdown(b: Breakdown, causal_half: bool) -> Count:
    cats = b.by_category(causal_half)
    return Count("analytic", sum(cats.values()), cats)


# -- the report `tfcli flops` shows -------------------------------------------------------------


@dataclass
class FlopsReport:
    name: str
    family: str
    inputs: dict[str, list[int]]
    shape: InputShape
    params: int
    tied: list[str]
    causal_half: bool
    has_causal: bool
    counts: dict[str, Count]  # method → count
    missing: dict[str, str]  # method → why it has no answer
    module_macs: dict[str, int]  # inclusive MACs per module path (first measured method)
    module_params: dict[str, int]
    module_depth: dict[str, int]  # table level: ModuleList/ModuleDict containers add none
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> Count:
        return next(iter(self.counts.values()))

    def spread(self) -> float:
        """Largest relative difference between the methods' totals."""
        totals = [c.total for c in self.counts.values()]
        if len(totals) < 2 or not max(totals):
            return 0.0
        return (max(totals) - min(totals)) / max(totals)

    def convention(self) -> str:
        scores = ("causal attention: the masked half, Tq(Tq+1)/2 pairs" if self.causal_half
                  else "causal attention: the full n×n score matrix, as kernels compute it")
        return ("1 MAC = one multiply-add (fvcore's \"flop\"); FLOPs = 2 × MACs; norms at numel×5 "
                "as fvcore; biases, activations, softmax and other elementwise ops not counted; "
                + scores)

    def to_dict(self) -> dict:
        p = self.primary
        return {
            "name": self.name,
            "family": self.family,
            "inputs": self.inputs,
            "batch": self.shape.batch,
            "seq_len": self.shape.seq_len,
            "tgt_len": self.shape.tgt_len,
            "image_size": self.shape.image_size,
            "convention": self.convention(),
            "causal_half": self.causal_half,
            "params": self.params,
            "tied": self.tied,
            "macs": p.total,
            "flops": 2 * p.total,
            "primary_method": p.method,
            "by_category": p.by_category,
            "attention_scores_share": share(p.by_category["attn_scores"], p.total),
            "linear_share": share(p.by_category["attn_proj"] + p.by_category["feed_forward"], p.total),
            "methods": {m: c.to_dict() for m, c in self.counts.items()},
            "missing_methods": self.missing,
            "max_difference": self.spread(),
            "modules": self.module_macs,
            "notes": self.notes,
        }


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _inclusive(own: dict[str, int]) -> dict[str, int]:
    out: Counter = Counter()
    for name, n in own.items():
        parts = name.split(".") if name else []
        out[""] += n
        for i in range(1, len(parts) + 1):
            out[".".join(parts[:i])] += n
    return dict(out)


def _module_depths(model) -> dict[str, int]:
    from torch import nn

    depth = {"": 0}
    for name, module in model.named_modules():
        if not name:
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        container = isinstance(module, (nn.ModuleList, nn.ModuleDict))
        depth[name] = depth.get(parent, 0) + (0 if container else 1)
    return {n: d for n, d in depth.items()
            if n == "" or not isinstance(model.get_submodule(n), (nn.ModuleList, nn.ModuleDict))}


def flops_report(spec: ResolvedSpec, shape: InputShape, methods: tuple[str, ...] = ("fvcore",),
                 causal_half: bool = False) -> FlopsReport:
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    from tfcli.analysis.inspect import resolve_shape

    config = spec.config
    model = build_model(config, device="meta")
    # validates the shape for the model (prompts, image sizes) and collects the family's notes
    _, family_notes = resolve_shape(model, shape)
    shape = resolved(config, shape)
    inputs = model.example_inputs(shape, "meta")
    params = count_params(model)
    counts: dict[str, Count] = {}
    missing: dict[str, str] = {}
    # the attention modules' flags say whether anything is causal; the shapes of their
    # calls (one more meta forward) are needed only to count the masked half
    has_causal = any(getattr(m, "causal", False) and not getattr(m, "cross", False) for m in model.modules())
    saving = causal_saving(attention_calls(model, inputs)) if causal_half and has_causal else 0
    for method in methods:
        if method == "analytic":
            b = count_analytic(config, shape)
            if b is None:
                missing[method] = f"no closed-form formula for the '{config.family}' family yet"
                continue
            counts[method] = from_breakdown(b, causal_half)
            continue
        c = count_fvcore(model, inputs) if method == "fvcore" else count_torch(model, inputs)
        if saving:
            c.by_category["attn_scores"] -= saving
            c.total -= saving
        counts[method] = c
    measured = next((c for c in counts.values() if c.method != "analytic"), None)
    module_macs = _inclusive(measured.by_module) if measured else {}
    module_params = {n: sum(p.numel() for p in m.parameters()) for n, m in model.named_modules()}
    module_depth = _module_depths(model)
    notes = list(family_notes)
    if params.tied:
        notes.append("tied weights count once in parameters and once per use in MACs: "
                     + "; ".join(params.tied))
    if causal_half and saving and measured:
        notes.append("--causal-half: per-module rows still show the full causal score matrices")
    return FlopsReport(
        name=spec.name, family=config.family,
        inputs={k: list(v.shape) for k, v in inputs.items() if hasattr(v, "shape")},
        shape=shape, params=params.total, tied=params.tied, causal_half=causal_half,
        has_causal=has_causal, counts=counts, missing=missing,
        module_macs=module_macs, module_params=module_params, module_depth=module_depth, notes=notes,
    )
