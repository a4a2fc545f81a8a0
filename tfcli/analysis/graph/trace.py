"""Stage 1: one forward pass on meta tensors, recorded as a tree of calls with provenance.

For every module call, which earlier calls produced the tensors it read: provenance follows
every torch function through a TorchFunctionMode. Additions of two different streams
(residuals, positions) and concatenations become their own pseudo-calls; so do learned
tokens a container reads as bare parameters ([CLS], registers, SAM's prompt vectors), and
the arithmetic the model's own forward does between its parts (SD's scheduler step).
Every call keeps the shapes of the tensors it read: the arrows are labelled with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Call:
    id: int
    module: object  # None for inputs, outputs, ⊕ and concat
    path: str
    parent: "Call | None"
    # module, input, output, add, concat, port (one tensor of a module's outputs),
    # param (a learned tensor read by a container's own code), op (arithmetic between parts, at the root)
    kind: str = "module"
    name: str = ""  # input/output/param name
    shape: list[int] | None = None
    in_prov: set[int] = field(default_factory=set)  # provenance of the inputs it read (not merely was handed)
    in_shapes: dict[int, list[int]] = field(default_factory=dict)  # provenance → shape of the tensor read
    operands: list[set[int]] = field(default_factory=list)  # ⊕ and concat: each operand's provenance, in order
    out_prov: set[int] = field(default_factory=set)  # provenance inside, before the output was tagged
    children: list["Call"] = field(default_factory=list)
    ports: list["Call"] = field(default_factory=list)  # on the root: every port, which no parent lists
    read: set[int] = field(default_factory=set)  # ids of the tensors torch functions read during the call


def leaf_types():
    """Modules drawn as one box whatever the depth: their insides are not the architecture."""
    from torch import nn

    from tfcli import blocks as b

    return (
        b.Attention, b.FeedForward, b.TokenEmbedding, b.LearnedPositions, b.SinusoidalPositions,
        b.Rotary, b.T5RelativeBias, b.PatchEmbedding, b.LMHead, b.Pooler, b.ClassifierHead,
        nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.Linear, nn.Conv2d, nn.Embedding,
    )


def tensors(obj, out):
    import torch

    if isinstance(obj, torch.Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            tensors(o, out)
    return out


def shape_of(out):
    ts = tensors(out, [])
    return list(ts[0].shape) if ts else None


def walk(call: Call):
    yield call
    for c in call.children:
        yield from walk(c)


def trace_calls(model, inputs: dict) -> Call:
    """Run forward once on meta tensors and return the call tree with provenance."""
    import torch
    from torch.overrides import TorchFunctionMode

    leaf = leaf_types()
    calls: list[Call] = []
    prov: dict[int, set[int]] = {}
    keep: list = []  # keeps tensors alive so their ids are never reused

    def new(module, path, parent, **kw) -> Call:
        c = Call(len(calls), module, path, parent, **kw)
        calls.append(c)
        if parent is not None:
            parent.children.append(c)
        return c

    def prov_of(obj) -> set[int]:
        s: set[int] = set()
        for t in tensors(obj, []):
            s |= prov.get(id(t), set())
        return s

    def tag(obj, srcs: set[int]) -> None:
        for t in tensors(obj, []):
            prov[id(t)] = set(srcs)
            keep.append(t)

    def note_shapes(c: Call, ts) -> None:
        for t in ts:
            for src in prov.get(id(t), ()):
                note_shape(c, src, list(t.shape))

    def note_shape(c: Call, src: int, shape: list[int]) -> None:
        # pieces of one tensor read apart (DINOv2's [CLS] and patches around the registers):
        # no one shape was read, the arrow carries the whole tensor
        if c.in_shapes.get(src, shape) != shape:
            shape = calls[src].shape
        c.in_shapes[src] = shape

    root = new(model, "", None)
    stack = [root]
    for name, t in inputs.items():
        c = new(None, name, root, kind="input", name=name, shape=list(t.shape))
        tag(t, {c.id})
    param_names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    param_calls: dict[tuple[int, int], Call] = {}  # (parameter, reading call) → its pseudo-call

    adds = {torch.add, torch.Tensor.add, torch.Tensor.add_, torch.Tensor.__add__, torch.Tensor.__radd__,
            torch.Tensor.__iadd__}
    cats = {torch.cat, torch.concat}
    # positions computed from the data (CLIP's end-of-text index) select, they are not data
    indexes = {torch.argmax, torch.Tensor.argmax, torch.argmin, torch.Tensor.argmin}
    # asking a tensor its size reads no data (property reads arrive as a getter's __get__)
    metadata = {torch.Tensor.size, torch.Tensor.dim, torch.Tensor.numel, torch.Tensor.stride}
    # elementwise arithmetic the root's own forward does between its parts (SD's scheduler step)
    arithmetic = {torch.sub, torch.Tensor.sub, torch.Tensor.__sub__, torch.Tensor.__rsub__, torch.mul,
                  torch.Tensor.mul, torch.Tensor.__mul__, torch.Tensor.__rmul__, torch.div, torch.Tensor.div,
                  torch.Tensor.__truediv__, torch.Tensor.__rtruediv__}

    def container_code(top: Call) -> bool:
        """The running code is a container's own forward, not a drawn-whole module's insides."""
        return top is root or (not isinstance(top.module, leaf) and next(top.module.children(), None) is not None)

    def learned_tokens(top: Call, args) -> None:
        """A parameter a container reads itself ([CLS], registers, SAM's not-a-point vector) is
        a pseudo-call of its own; scalars (CLIP's logit scale) are not tokens."""
        if not container_code(top):
            return
        for t in tensors(args, []):
            if isinstance(t, torch.nn.Parameter) and t.dim() >= 2 and id(t) in param_names:
                key = (id(t), top.id)
                if key not in param_calls:
                    name = param_names[id(t)]
                    param_calls[key] = new(None, name, top, kind="param", name=name, shape=list(t.shape))
                prov[id(t)] = {param_calls[key].id}

    class Provenance(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            top = stack[-1]
            reads = func not in metadata and getattr(func, "__name__", "") != "__get__"
            if reads:
                learned_tokens(top, args)
            out = func(*args, **kwargs)
            srcs = prov_of((args, kwargs))
            if reads:
                top.read.update(id(t) for t in tensors((args, kwargs), []))
            if func in adds or func in cats or (func in arithmetic and top is root):
                operands = args[0] if func in cats else args[:2]
                parts = [p for p in (prov_of(a) for a in operands) if p]
                if len(parts) >= 2 and any(p != parts[0] for p in parts) and not isinstance(top.module, leaf):
                    chained = [p for p in parts if len(p) == 1 and calls[next(iter(p))].kind == "op"]
                    if func in arithmetic and chained:  # one step of several operations: one box
                        c = calls[next(iter(chained[0]))]
                        c.in_prov |= srcs
                    else:
                        kind = "add" if func in adds else "concat" if func in cats else "op"
                        c = new(None, top.path, top, kind=kind, in_prov=srcs, shape=shape_of(out), operands=parts)
                    note_shapes(c, tensors(operands, []))
                    c.shape = shape_of(out)
                    srcs = {c.id}
            tag(out, set() if func in indexes else srcs)
            return out

    handed: dict[int, list] = {}  # call → the tensors it was handed, with their provenance then

    def pre(module, args, kwargs):
        c = new(module, paths[id(module)], stack[-1])
        handed[c.id] = [(id(t), prov.get(id(t), set()), list(t.shape)) for t in tensors((args, kwargs), [])]
        stack.append(c)

    def post(module, args, kwargs, out):
        c = stack.pop()
        stack[-1].read |= c.read
        # a U-Net up level is handed the whole skip stack and pops three: only those are inputs
        for t, srcs, shape in handed.pop(c.id):
            if t in c.read:
                c.in_prov |= srcs
                for src in srcs:
                    note_shape(c, src, shape)
        c.out_prov = prov_of(out)
        c.shape = shape_of(out)
        ts = tensors(out, [])
        if len(ts) > 1:
            # one port per output tensor, so a reader of one (CLIP's pooled state) is not
            # wired to what produced the others when the container is drawn open
            for t in ts:
                port = Call(len(calls), None, c.path, c, kind="port", in_prov=prov.get(id(t), set()),
                            shape=list(t.shape))
                port.out_prov = port.in_prov
                calls.append(port)
                root.ports.append(port)
                tag(t, {port.id})
        else:
            tag(out, {c.id})

    paths = {id(m): p for p, m in model.named_modules()}
    handles = []
    for path, m in model.named_modules():
        if path:
            handles.append(m.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(m.register_forward_hook(post, with_kwargs=True))
    try:
        with torch.inference_mode(), Provenance():
            out = model(**inputs)
    finally:
        for h in handles:
            h.remove()
    for i, t in enumerate(tensors(out, [])):
        c = new(None, "", root, kind="output", name=f"output {i}" if i else "output", shape=list(t.shape),
                in_prov=set(prov.get(id(t), set())))
        note_shapes(c, [t])
    return root
