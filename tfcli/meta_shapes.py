"""Output shapes of the ops tfcli's models run on the meta device, computed here.

torch's meta kernels for most ops are Python reference implementations: about a quarter
of a millisecond each, and the first one imports torch._dynamo and sympy (1.5–2.5 s, more
than `import torch` itself). Every analysis that runs a model on meta (the layer tree's
shapes, the attention calls, fvcore's trace, torch's counter) only needs each op's output
shape and dtype, which a few lines per op say exactly. `MetaShapes` is a dispatch mode
below the jit tracer, autograd and the FLOP counter's own mode: they see the same ops as
before and read the same shapes; only the kernel that makes the meta output is tfcli's.

An op without a rule here decomposes (CompositeImplicitAutograd) or runs torch's own meta
kernel, as it did before: slower, never different.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
META = torch.device("meta")


def _is_meta(a) -> bool:
    return isinstance(a, torch.Tensor) and a.device.type == "meta"


def _empty(shape, dtype) -> torch.Tensor:
    return torch.empty(shape, dtype=dtype, device=META)


# -- layouts: where an elementwise result's strides come from ------------------------------
# Strides decide how later composite ops decompose (a linear on a transposed input is a
# matmul and an add, on a contiguous one an addmm), so they follow torch's meta rules.


def _contiguous_strides(shape) -> list[int]:
    strides, acc = [0] * len(shape), 1
    for d in reversed(range(len(shape))):
        strides[d] = acc
        acc *= max(shape[d], 1)
    return strides


def _dense_in(order, shape, strides) -> bool:
    """Strides are those of a dense tensor laid out in `order` (fastest dim first)."""
    expected = 1
    for d in order:
        if shape[d] == 1:
            continue
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def _expanded(t: torch.Tensor, shape) -> list[int]:
    """t's strides broadcast to `shape`: 0 wherever it is stretched (as torch.expand)."""
    lead = len(shape) - t.dim()
    return [0] * lead + [0 if size == 1 and shape[lead + i] != 1 else stride
                         for i, (size, stride) in enumerate(zip(t.shape, t.stride()))]


def _ge(a: int, b: int) -> bool:
    return b == 0 or (a != 0 and (a >= b or a % b == 0))


def elementwise_strides(shape, tensors) -> list[int]:
    """The output strides of an elementwise op on `tensors` broadcast to `shape`, as
    torch._prims_common.compute_elementwise_output_strides (the meta kernels' rule): the
    operands' dim order, contiguous when they are, channels-last when they all are."""
    shape = list(shape)
    ndim = len(shape)
    strides = [_expanded(t, shape) for t in tensors
               if not (t.device.type == "cpu" and t.dim() == 0)]  # CPU scalars do not vote
    if ndim <= 1 or not strides or 0 in shape:
        return _contiguous_strides(shape)
    contiguous = all(_dense_in(range(ndim - 1, -1, -1), shape, s) for s in strides)
    channels_last = ndim == 4 and all(_dense_in((1, 3, 2, 0), shape, s) for s in strides)
    if contiguous and not channels_last:
        return _contiguous_strides(shape)
    if channels_last and not contiguous:
        perm = [0, 2, 3, 1]
    else:
        def should_swap(a: int, b: int) -> int:
            for s in strides:
                sa, sb = s[a], s[b]
                if sa == 0 or sb == 0:
                    continue
                if sa == sb:
                    if _ge(shape[b], shape[a]):
                        continue
                    return 1
                if _ge(sb, sa):
                    return -1
                if _ge(sa, sb):
                    return 1
            return 0

        order = list(reversed(range(ndim)))  # sorted back to front, as torch does
        for i in range(1, ndim):
            d1 = i
            for d0 in reversed(range(i)):
                c = should_swap(order[d0], order[d1])
                if c > 0:
                    order[d0], order[d1] = order[d1], order[d0]
                    d1 = d0
                elif c < 0:
                    break
        perm = list(reversed(order))  # logical → physical, slowest first
    out, acc = [0] * ndim, 1
    for d in reversed(perm):
        out[d] = acc
        acc *= shape[d]
    return out


def _empty_elementwise(shape, dtype, tensors) -> torch.Tensor:
    return torch.empty_strided(shape, elementwise_strides(shape, tensors), dtype=dtype, device=META)


def _preserved(x: torch.Tensor, dtype) -> torch.Tensor:
    """empty_like's memory_format=preserve: a dense input's strides, else its dim order."""
    shape, strides = list(x.shape), list(x.stride())
    order = sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: strides[d])
    if _dense_in(order, shape, strides) and len(set(strides[d] for d in order)) == len(order):
        return torch.empty_strided(shape, strides, dtype=dtype, device=META)
    return _empty_elementwise(shape, dtype, [x])


def broadcast(*shapes) -> list[int]:
    """numpy's broadcast of several shapes (right-aligned, size 1 stretches)."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate(s, n - len(s)):
            if d != 1:
                if out[i] != 1 and out[i] != d:
                    raise RuntimeError(f"shapes {[list(s) for s in shapes]} do not broadcast")
                out[i] = d
    return out


def _dims(dim, ndim: int) -> list[int]:
    """Reduced dims, wrapped; None or [] means every dim."""
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return list(range(ndim))
    dims = dim if isinstance(dim, (list, tuple)) else [dim]
    return [d % ndim if ndim else 0 for d in dims]


def _reduced(shape, dim, keepdim: bool) -> list[int]:
    dims = set(_dims(dim, len(shape)))
    return [1 if i in dims else s for i, s in enumerate(shape) if keepdim or i not in dims]


# -- the probe: dtypes from the CPU kernel on one-element tensors -------------------------

_DTYPES: dict[tuple, torch.dtype] = {}


def _probe_value(a):
    if isinstance(a, torch.Tensor):  # 0-dim stays 0-dim: it ranks lower in type promotion
        return torch.ones(() if a.dim() == 0 else (1,), dtype=a.dtype)
    return a


def _key(a):
    if isinstance(a, torch.Tensor):
        return ("tensor", a.dtype, a.dim() == 0)
    if isinstance(a, (bool, int, float, complex)):
        return type(a)
    if isinstance(a, (list, tuple)):
        return tuple(_key(x) for x in a)
    return a if a is None or isinstance(a, (str, torch.dtype, torch.device)) else type(a)


def pointwise_dtype(func, args, kwargs) -> torch.dtype:
    """The result dtype of an elementwise op: its own CPU kernel on one-element tensors
    (type promotion, comparisons → bool, true division → float: whatever the op does)."""
    key = (func, tuple(_key(a) for a in args), tuple((k, _key(v)) for k, v in kwargs.items()))
    dtype = _DTYPES.get(key)
    if dtype is None:
        out = func(*[_probe_value(a) for a in args], **{k: _probe_value(v) for k, v in kwargs.items()})
        dtype = _DTYPES[key] = out.dtype
    return dtype


def _pointwise(func, args, kwargs):
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    shape = broadcast(*(t.shape for t in tensors))
    if func._schema.is_mutable:  # in place (add_, masked_fill_): the result is self
        self = args[0]
        if not func._schema.name.endswith("_") or list(self.shape) != shape:
            return NotImplemented  # an out= variant, or a broadcast torch refuses
        return self
    return _empty_elementwise(shape, pointwise_dtype(func, args, kwargs), tensors)


# -- rules: op → output(s), from the arguments' shapes --------------------------------------


def _same(x, *args, **kwargs):
    """Same shape and dtype, contiguous (as torch's meta kernels for norms, softmax, triu...)."""
    return _empty(x.shape, x.dtype)


def _masked_fill(x, mask, value):
    if broadcast(x.shape, mask.shape) != list(x.shape) or (isinstance(value, torch.Tensor) and not _is_meta(value)):
        return NotImplemented
    return _empty(x.shape, x.dtype)  # "always a new contiguous tensor", as torch's


def _like(x, *args, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None, **kwargs):
    if device is not None and torch.device(device) != META:
        return NotImplemented
    if memory_format not in (None, torch.preserve_format):
        return NotImplemented
    return _preserved(x, dtype or x.dtype)


def _contiguous(x, memory_format=torch.contiguous_format):
    if memory_format != torch.contiguous_format:
        return NotImplemented
    return _empty(x.shape, x.dtype)


def _factory(size, *, dtype=None, device=None, **kwargs):
    if device is None or torch.device(device) != META:
        return NotImplemented
    return _empty(list(size), dtype or torch.get_default_dtype())


def _new(x, size, *, dtype=None, device=None, **kwargs):
    """new_empty, new_zeros, new_ones: `size`, x's dtype and device unless given."""
    if device is not None and torch.device(device) != META:
        return NotImplemented
    return _empty(list(size), dtype or x.dtype)


def _new_full(x, size, fill_value, *, dtype=None, device=None, **kwargs):
    return _new(x, size, dtype=dtype, device=device)


def _scalar_tensor(value, *, dtype=None, device=None, **kwargs):
    return _factory([], dtype=dtype, device=device)


def _full(size, fill_value, *, dtype=None, device=None, **kwargs):
    if dtype is None:  # full infers its dtype from the fill value
        dtype = (torch.bool if isinstance(fill_value, bool) else torch.int64 if isinstance(fill_value, int)
                 else torch.get_default_dtype())
    return _factory(size, dtype=dtype, device=device)


def _arange(*args, dtype=None, device=None, **kwargs):
    if device is None or torch.device(device) != META:
        return NotImplemented
    start, end, step = (0, args[0], 1) if len(args) == 1 else (*args[:2], args[2] if len(args) > 2 else 1)
    n = max(0, math.ceil((end - start) / step))
    if dtype is None:
        dtype = torch.int64 if all(isinstance(v, int) for v in (start, end, step)) else torch.get_default_dtype()
    return _empty([n], dtype)


def _linspace(start, end, steps, *, dtype=None, device=None, **kwargs):
    return _factory([steps], dtype=dtype, device=device)


def _mm(a, b, *rest, **kwargs):
    return _empty([a.shape[0], b.shape[1]], a.dtype)


def _addmm(bias, a, b, *rest, **kwargs):
    return _empty([a.shape[0], b.shape[1]], a.dtype)


def _bmm(a, b, *rest, **kwargs):
    return _empty([a.shape[0], a.shape[1], b.shape[2]], a.dtype)


def _baddbmm(bias, a, b, *rest, **kwargs):
    return _bmm(a, b)


def _matmul(a, b):
    x, y = list(a.shape), list(b.shape)
    if not x or not y:
        return NotImplemented
    if len(x) == 1 and len(y) == 1:
        return _empty([], a.dtype)
    if len(x) == 1:
        return _empty(y[:-2] + [y[-1]], a.dtype)
    if len(y) == 1:
        return _empty(x[:-1], a.dtype)
    return _empty(broadcast(x[:-2], y[:-2]) + [x[-2], y[-1]], a.dtype)


def _linear(x, weight, bias=None):
    return _empty(list(x.shape[:-1]) + ([weight.shape[0]] if weight.dim() == 2 else []), x.dtype)


def _native_layer_norm(x, normalized_shape, weight, bias, eps):
    k = len(normalized_shape)
    stats = list(x.shape[:x.dim() - k]) + [1] * k
    return _same(x), _empty(stats, x.dtype), _empty(stats, x.dtype)


def _native_group_norm(x, weight, bias, n, c, hw, groups, eps):
    out = torch.empty(x.shape, dtype=x.dtype, device=META, memory_format=_memory_format(x))
    return out, _empty([n, groups], x.dtype), _empty([n, groups], x.dtype)


def _sdpa(q, k, v, *args, **kwargs):
    return _empty(list(q.shape[:-1]) + [v.shape[-1]], q.dtype)


def _sdpa_cpu(q, k, v, *args, **kwargs):
    """The CPU flash kernel's (output laid out as the query, logsumexp), as torch's meta kernel."""
    if v.shape[-1] != q.shape[-1]:
        return NotImplemented
    B, H, T = q.shape[:3]
    stats = torch.float32 if q.dtype in (torch.float16, torch.bfloat16) else q.dtype
    return _preserved(q, q.dtype), _empty([B, T, H], stats).transpose(1, 2)


def _embedding(weight, indices, *args, **kwargs):
    return _empty(list(indices.shape) + [weight.shape[-1]], weight.dtype)


def _cat(tensors, dim=0):
    # legacy: 1-D empty tensors are skipped whatever the others' rank
    parts = [t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)]
    if not parts or any(not _is_meta(t) for t in parts):
        return NotImplemented
    shape = list(parts[0].shape)
    d = dim % len(shape)
    shape[d] = sum(t.shape[d] for t in parts)
    dtype = parts[0].dtype
    for t in parts[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    formats = {_memory_format(t) for t in tensors}  # one format shared by all is kept, as torch's
    layout = formats.pop() if len(formats) == 1 else torch.contiguous_format
    return torch.empty(shape, dtype=dtype, device=META, memory_format=layout)


def _memory_format(t: torch.Tensor):
    """Tensor.suggest_memory_format(): channels-last when the strides read NHWC (NDHWC)."""
    shape, strides = t.shape, t.stride()
    order = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}.get(t.dim())
    if order is None or strides[1] == 0:
        return torch.contiguous_format
    smallest = 0
    for d in order:
        if shape[d] == 0 or strides[d] < smallest or (d == 0 and smallest == strides[1]):
            return torch.contiguous_format
        smallest = strides[d] * shape[d]
    return torch.channels_last if t.dim() == 4 else torch.channels_last_3d


def _stack(tensors, dim=0):
    """As torch's: inside the shape, a cat along `dim` viewed with the new axis; at its end,
    a cat of the inputs unsqueezed."""
    d = dim % (tensors[0].dim() + 1)
    if d < tensors[0].dim():
        shape = list(tensors[0].shape)
        shape.insert(d, len(tensors))
        out = _cat(tensors, d)
        return NotImplemented if out is NotImplemented else out.view(shape)
    return _cat([t.unsqueeze(d) for t in tensors], d)


def _unsafe_view(x, size):
    return x.view(size)  # on meta an alias costs nothing; view's C++ kernel checks the size


def _repeat(x, repeats):
    shape = [1] * (len(repeats) - x.dim()) + list(x.shape)
    return _empty([s * r for s, r in zip(shape, repeats)], x.dtype)


def _repeat_interleave(x, repeats, dim=None, *, output_size=None):
    if not isinstance(repeats, int):
        return NotImplemented
    if dim is None:
        return _empty([x.numel() * repeats], x.dtype)
    shape = list(x.shape)
    shape[dim % len(shape)] *= repeats
    return _empty(shape, x.dtype)


def _sum(x, dim=None, keepdim=False, *, dtype=None):
    if dtype is None:
        dtype = torch.int64 if not (x.dtype.is_floating_point or x.dtype.is_complex) else x.dtype
    return _empty(_reduced(x.shape, dim, keepdim), dtype)


def _mean(x, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and not (x.dtype.is_floating_point or x.dtype.is_complex):
        return NotImplemented  # torch refuses: let it say so
    return _empty(_reduced(x.shape, dim, keepdim), dtype or x.dtype)


def _amax(x, dim=(), keepdim=False):
    return _empty(_reduced(x.shape, dim, keepdim), x.dtype)


def _argmax(x, dim=None, keepdim=False):
    if dim is None:
        return _empty([1] * x.dim() if keepdim else [], torch.int64)
    return _empty(_reduced(x.shape, dim, keepdim), torch.int64)


def _any(x, dim=None, keepdim=False):
    return _empty(_reduced(x.shape, dim, keepdim), torch.bool)


def _vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    return _empty(_reduced(x.shape, dim, keepdim), dtype or x.dtype)


def _max_dim(x, dim, keepdim=False):
    shape = _reduced(x.shape, dim, keepdim)
    return _empty(shape, x.dtype), _empty(shape, torch.int64)


def _softmax(x, dim, half_to_float=False):
    return _empty(x.shape, torch.float32 if half_to_float else x.dtype)


def _softmax_int(x, dim, dtype=None):
    return _empty(x.shape, dtype or x.dtype)


def _cumsum(x, dim, *, dtype=None):
    if dtype is None:
        dtype = torch.int64 if not (x.dtype.is_floating_point or x.dtype.is_complex) else x.dtype
    return _empty(x.shape, dtype)


def _topk(x, k, dim=-1, largest=True, sorted=True):
    shape = list(x.shape)
    shape[dim % len(shape)] = k
    return _empty(shape, x.dtype), _empty(shape, torch.int64)


def _sort(x, *args, **kwargs):
    return _preserved(x, x.dtype), _preserved(x, torch.int64)


def _gather(x, dim, index, *, sparse_grad=False):
    return _empty(index.shape, x.dtype)


def _index_select(x, dim, index):
    shape = list(x.shape)
    shape[dim % len(shape)] = index.numel()
    return _empty(shape, x.dtype)


def _into_self(x, *args, **kwargs):
    """scatter, index_add: the result has self's shape and dtype."""
    return _empty(x.shape, x.dtype)


def _index(x, indices):
    """Advanced indexing by integer tensors (None skips a dim), numpy's placement rules."""
    idx = list(indices)
    if not x.is_contiguous():
        return NotImplemented  # its layout follows the indexed dims: left to torch
    if any(i is not None and (i.dtype == torch.bool or i.dtype == torch.uint8) for i in idx):
        return NotImplemented  # a mask: the size depends on values
    where = [d for d, i in enumerate(idx) if i is not None]
    if not where:
        return NotImplemented
    indexed = broadcast(*(idx[d].shape for d in where))
    rest = list(x.shape)
    adjacent = where == list(range(where[0], where[-1] + 1))
    before, after = rest[:where[0]], rest[where[-1] + 1:]
    if adjacent:
        return _empty(before + indexed + after, x.dtype)
    kept = [s for d, s in enumerate(rest) if d not in where]
    return _empty(indexed + kept, x.dtype)


def _conv_shape(x, weight, stride, padding, dilation, transposed, output_padding, groups) -> list[int]:
    nd = weight.dim() - 2
    tup = lambda v: list(v) * (nd if len(v) == 1 else 1) if isinstance(v, (list, tuple)) else [v] * nd  # noqa: E731
    stride, padding, dilation = tup(stride), tup(padding), tup(dilation)
    k = list(weight.shape[2:])
    if transposed:
        out_pad = tup(output_padding)
        spatial = [(n - 1) * s - 2 * p + d * (kk - 1) + op + 1
                   for n, s, p, d, kk, op in zip(x.shape[2:], stride, padding, dilation, k, out_pad)]
        channels = weight.shape[1] * groups
    else:
        spatial = [(n + 2 * p - d * (kk - 1) - 1) // s + 1
                   for n, s, p, d, kk in zip(x.shape[2:], stride, padding, dilation, k)]
        channels = weight.shape[0]
    return [x.shape[0], channels, *spatial]


def _convolution(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups, *rest):
    if x.dim() != weight.dim() or isinstance(padding, str):
        return NotImplemented
    return _empty(_conv_shape(x, weight, stride, padding, dilation, transposed, output_padding, groups), x.dtype)


def _upsample_nearest(x, output_size, *scales):
    if output_size is None:
        factors = scales[0] if len(scales) == 1 else scales
        if factors is None:
            return NotImplemented
        output_size = [math.floor(n * f) for n, f in zip(x.shape[2:], factors)]
    return _empty(list(x.shape[:2]) + list(output_size), x.dtype)


_RULES_BY_NAME: dict[str, Any] = {
    # matrix products and the composite ops over them (they reach a mode whole in inference mode)
    "mm": _mm, "addmm": _addmm, "bmm": _bmm, "baddbmm": _baddbmm,
    "matmul": _matmul, "linear": _linear,
    "scaled_dot_product_attention": _sdpa,
    "_scaled_dot_product_flash_attention_for_cpu": _sdpa_cpu,
    "convolution": _convolution, "_convolution": _convolution,
    # norms
    "native_layer_norm": _native_layer_norm, "native_group_norm": _native_group_norm,
    "layer_norm": _same, "rms_norm": _same, "group_norm": _same,
    # same shape as the input
    "_softmax": _softmax, "_log_softmax": _softmax, "softmax": _softmax_int,
    "log_softmax": _softmax_int, "_safe_softmax": _softmax_int, "cumsum": _cumsum, "cumprod": _cumsum,
    "triu": _same, "tril": _same, "roll": _same, "contiguous": _contiguous,
    "masked_fill": _masked_fill,
    "zeros_like": _like, "ones_like": _like, "empty_like": _like,
    "scatter": _into_self, "index_add": _into_self,
    # factories on the meta device
    "zeros": _factory, "ones": _factory, "full": _full, "scalar_tensor": _scalar_tensor,
    "randn": _factory, "rand": _factory,
    "new_empty": _new, "new_zeros": _new, "new_ones": _new, "new_full": _new_full,
    "arange": _arange, "linspace": _linspace,
    # gathering and joining
    "embedding": _embedding, "cat": _cat, "stack": _stack, "index": _index,
    "index_select": _index_select, "gather": _gather, "_unsafe_index": _index,
    "_unsafe_view": _unsafe_view,
    "repeat": _repeat,
    "repeat_interleave": _repeat_interleave,
    "upsample_nearest2d": _upsample_nearest,
    # reductions and selections
    "sum": _sum, "mean": _mean, "amax": _amax, "amin": _amax, "argmax": _argmax,
    "argmin": _argmax, "any": _any, "all": _any, "linalg_vector_norm": _vector_norm,
    "max": _max_dim, "min": _max_dim, "topk": _topk, "sort": _sort,
}
# an op this torch does not have is simply not ruled
RULES: dict[Any, Any] = {getattr(aten, name): rule for name, rule in _RULES_BY_NAME.items() if hasattr(aten, name)}
# overloads whose arguments the rules above do not read (dimension names) keep torch's kernel,
# as do out= variants (their schemas mutate)
_SKIP_OVERLOADS = {"dimname", "names", "names_dim"}
_REDUCE_ALL = {aten.max, aten.min}  # only their .dim overloads reduce along a dim and return indices
_UNTAGGED_POINTWISE = {aten.floor_divide}  # elementwise, though torch does not tag it so
_POINTWISE_TAG = getattr(torch.Tag, "pointwise", None)


_PYTHON_META: set | None = None
# what torch keeps on its C++ meta kernels whatever its decomposition tables say
_CPP_META = {"aten::empty_strided", "aten::clone", "aten::_to_copy", "aten::copy_", "aten::constant_pad_nd",
             "aten::rot90", "aten::as_strided_scatter"}


def python_meta_ops() -> set:
    """The ops whose meta kernel is one of torch's Python decompositions (the slow ones,
    whose first call imports sympy and torch._dynamo): torch registers every op of its
    decomposition tables that is not a view, a composite or one of a few exceptions."""
    global _PYTHON_META
    if _PYTHON_META is None:
        try:
            from torch._decomp import global_decomposition_table as tables

            ops = {op for kind in ("meta", "post_autograd", "pre_autograd") for op in tables[kind]}
        except (ImportError, KeyError):  # another torch: rules apply to every op they name
            ops = None
        _PYTHON_META = ops
    return _PYTHON_META


def _python_meta(func) -> bool:
    ops = python_meta_ops()
    return func.name() not in _CPP_META and (ops is None or func in ops)


def _rule(func):
    packet = func._overloadpacket
    rule = RULES.get(packet)
    if rule is None or func._overloadname in _SKIP_OVERLOADS or func._schema.is_mutable:
        return None
    if packet in _REDUCE_ALL and func._overloadname != "dim":
        return None
    if packet is aten.repeat_interleave and func._overloadname != "self_int":
        return None
    return rule


class MetaShapes(TorchDispatchMode):
    """Meta outputs from tfcli's shape rules, below whatever traces or counts the ops."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch wraps a mode's handler in torch._dynamo.disable, whose first call imports
        # torch._dynamo (over a second); nothing here is compiled, so there is nothing to disable
        return False

    def __init__(self):
        super().__init__()
        self.fallback: dict[str, int] = {}  # ops torch's kernels made, for the tests to read

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func.is_view or not (any(_is_meta(a) for a in _flat(args, kwargs)) or _meta_factory(kwargs)):
            return func(*args, **kwargs)  # views have C++ meta kernels; other devices run for real
        composite = torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), "CompositeImplicitAutograd")
        rule = _rule(func)
        if rule is None and not composite and not _python_meta(func):
            return func(*args, **kwargs)  # a C++ meta kernel: fast already
        # the jit tracer has recorded the op already: what runs here is not part of the graph,
        # and it must read sizes as ints, not as traced values
        state = torch._C._get_tracing_state()
        if state is not None:
            try:
                torch._C._set_tracing_state(None)
            except RuntimeError:  # the tracer forbids it here (an in-place op it records itself)
                return func(*args, **kwargs)
        try:
            return self._run(func, args, kwargs, rule, composite)
        finally:
            if state is not None:
                torch._C._set_tracing_state(state)

    def _run(self, func, args, kwargs, rule, composite: bool):
        if rule is not None:
            try:
                out = rule(*args, **kwargs)
            except Exception:  # arguments this rule does not read: torch's kernel decides
                out = NotImplemented
            if out is not NotImplemented:
                return out
        elif (_POINTWISE_TAG in func.tags or func._overloadpacket in _UNTAGGED_POINTWISE) and _python_meta(func):
            if all(_is_meta(a) or not isinstance(a, torch.Tensor) or a.dim() == 0 for a in _flat(args, kwargs)):
                try:
                    out = _pointwise(func, args, kwargs)
                except Exception:  # shapes that do not broadcast, a probe the op refuses: torch says
                    out = NotImplemented
                if out is not NotImplemented:
                    return out
        if composite:
            with self:  # its parts come back here
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        if _python_meta(func):
            name = str(func)
            self.fallback[name] = self.fallback.get(name, 0) + 1
        return func(*args, **kwargs)


def _flat(args, kwargs):
    for a in (*args, *kwargs.values()):
        if isinstance(a, (list, tuple)):
            yield from a
        else:
            yield a


def _meta_factory(kwargs) -> bool:
    device = kwargs.get("device")
    return device is not None and torch.device(device) == META
