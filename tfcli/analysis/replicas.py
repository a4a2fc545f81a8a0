"""Identical layers run once: the first of a list of equal blocks stands for the others.

GPT-3 is 96 copies of one block. On the meta device every copy fed the same input shapes
computes the same output shapes, the same attention calls and the same op counts, so an
analysis runs the first (the prototype) and copies its facts to the others (the replicas),
path by path. The test of "the same" is strict: same classes all the way down, same
parameter and buffer shapes, same settings (every plain attribute: window sizes, flags,
activations), and, at run time, the same input shapes and arguments as the prototype got.
A replica whose inputs differ runs for real; a prototype called twice (or a replica
reached twice) makes the whole run unusable, and the analysis runs again without copies.

A replica still gets called, so hooks on it fire and tracers see a call in its scope:
its forward returns empty tensors shaped like the prototype's outputs, made from its
input (`new_empty`, an op that moves no data and that no counter counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

_MODULE_INTERNALS: frozenset[str] | None = None


def _internals() -> frozenset[str]:
    """Attribute names every nn.Module has (parameters, hooks, `training`): not settings."""
    global _MODULE_INTERNALS
    if _MODULE_INTERNALS is None:
        from torch import nn

        _MODULE_INTERNALS = frozenset(nn.Module().__dict__)
    return _MODULE_INTERNALS


class _Unlike(Exception):
    """A setting the fingerprint cannot compare: its module has no equal."""


def _setting(value) -> Any:
    import dataclasses
    import enum

    import torch

    if value is None or isinstance(value, (bool, int, float, str, complex, torch.dtype, torch.device, enum.Enum)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a spec kept whole (MLA's)
        return (type(value), tuple(_setting(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_setting(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _setting(v)) for k, v in value.items()))
    if isinstance(value, torch.Tensor):  # a plain tensor attribute: on meta only its shape matters
        if value.device.type != "meta":
            raise _Unlike
        return ("tensor", tuple(value.shape), value.dtype)
    code = getattr(value, "__code__", None)
    if code is not None and not getattr(value, "__closure__", None):  # a function or lambda: its code
        return ("code", code)
    if callable(value) and getattr(value, "__module__", None) and getattr(value, "__qualname__", None):
        return ("callable", value.__module__, value.__qualname__)  # a builtin such as F.gelu
    raise _Unlike


def fingerprint(module) -> tuple | None:
    """Everything a block's forward can depend on apart from its inputs' values; equal
    fingerprints mean the blocks compute alike. None: a setting it cannot compare."""
    try:
        return _fingerprint(module)
    except _Unlike:
        return None


def _fingerprint(module) -> tuple:
    internals = _internals()
    parts = []
    for path, m in module.named_modules(remove_duplicate=False):
        settings = tuple((k, _setting(v)) for k, v in sorted(m.__dict__.items()) if k not in internals)
        params = tuple((n, tuple(p.shape), p.dtype, p.requires_grad) for n, p in m._parameters.items()
                       if p is not None)
        buffers = tuple((n, tuple(b.shape), b.dtype, b.device.type) for n, b in m._buffers.items() if b is not None)
        nones = tuple(n for n, p in (*m._parameters.items(), *m._buffers.items()) if p is None)
        parts.append((path, type(m), settings, params, buffers, nones))
    return tuple(parts)


def _signature(value, keep: list) -> Any:
    """What the call's result can depend on: tensors by shape and dtype, the rest by value
    (objects that do not compare, such as SAM's bias callables, by identity)."""
    import torch

    if isinstance(value, torch.Tensor):
        return ("tensor", tuple(value.shape), value.dtype, value.device.type)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_signature(v, keep) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _signature(v, keep)) for k, v in sorted(value.items())))
    keep.append(value)  # held, so its id is not reused while the run lasts
    return ("object", id(value))


def _output_spec(out) -> Any:
    """The prototype's output, as shapes; None when it holds something a replay cannot make."""
    import torch

    if isinstance(out, torch.Tensor):
        return ("tensor", tuple(out.shape), out.dtype)
    if out is None:
        return ("none",)
    if isinstance(out, (tuple, list)):
        parts = [_output_spec(o) for o in out]
        return None if any(p is None for p in parts) else (type(out), parts)
    return None


def _rebuild(spec, base):
    if spec[0] == "tensor":
        return base.new_empty(spec[1], dtype=spec[2])
    if spec[0] == "none":
        return None
    kind, parts = spec
    return kind(_rebuild(p, base) for p in parts)


def _first_tensor(args, kwargs):
    import torch

    for a in (*args, *kwargs.values()):
        if isinstance(a, torch.Tensor):
            return a
    return None


class _Untraced:
    """Reading shapes under torch.jit's tracer gives traced values; read them untraced."""

    def __enter__(self):
        import torch

        self.state = torch._C._get_tracing_state()
        if self.state is not None:
            torch._C._set_tracing_state(None)

    def __exit__(self, *exc):
        import torch

        if self.state is not None:
            torch._C._set_tracing_state(self.state)


@dataclass
class _Prototype:
    calls: int = 0
    inputs: Any = None
    output: Any = None


@dataclass
class Replicas:
    """Within `with Replicas(model) as r:` the model's replicas replay their prototype;
    after it, `r.copy(facts)` extends any path-keyed facts to the replicas that replayed."""

    model: Any
    enabled: bool = True  # False: every layer runs (the rerun after an unusable run)
    prototype_of: dict[str, str] = field(default_factory=dict)  # replica path → prototype path
    replayed: list[tuple[str, str]] = field(default_factory=list)  # (replica, prototype), in call order
    valid: bool = True

    @classmethod
    def of(cls, model, inputs: dict) -> "Replicas":
        """Copies only on the meta device: on a real one values flow (a mixture's routing
        depends on them) and the replayed outputs would hold none."""
        return cls(model, enabled=all(getattr(v, "device", None) is None or v.device.type == "meta"
                                      for v in inputs.values()))

    def __post_init__(self):
        from torch import nn

        if not self.enabled:
            return
        seen: dict[int, int] = {}
        for _, m in self.model.named_modules(remove_duplicate=False):
            seen[id(m)] = seen.get(id(m), 0) + 1
        for path, lst in self.model.named_modules():
            if not isinstance(lst, nn.ModuleList):
                continue
            first: dict[tuple, str] = {}
            for name, child in lst.named_children():
                if not child._modules or seen[id(child)] > 1:  # leaves gain nothing; shared blocks are one module
                    continue
                fp = fingerprint(child)
                if fp is None:
                    continue
                child_path = f"{path}.{name}" if path else name
                if fp in first:
                    self.prototype_of[child_path] = first[fp]
                else:
                    first[fp] = child_path

    @property
    def prototypes(self) -> set[str]:
        return set(self.prototype_of.values())

    def __enter__(self) -> "Replicas":
        self._keep: list = []
        self._protos = {p: _Prototype() for p in self.prototypes}
        self._handles = []
        self._stubbed = []
        self._reached: set[str] = set()
        for p in self._protos:
            module = self.model.get_submodule(p)
            self._handles.append(module.register_forward_pre_hook(self._before(p), with_kwargs=True))
            self._handles.append(module.register_forward_hook(self._after(p), with_kwargs=True))
        for r, p in self.prototype_of.items():
            module = self.model.get_submodule(r)
            module.forward = self._stub(r, p, module)
            self._stubbed.append(module)
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        for module in self._stubbed:
            del module.forward
        self._keep.clear()

    def _before(self, p: str) -> Callable:
        def pre(module, args, kwargs):
            proto = self._protos[p]
            proto.calls += 1
            if proto.calls > 1 and any(q == p for _, q in self.replayed):
                self.valid = False  # copies were made from a call that is no longer the only one
            with _Untraced():
                proto.inputs = (_signature(args, self._keep), _signature(kwargs, self._keep))

        return pre

    def _after(self, p: str) -> Callable:
        def post(module, args, kwargs, out):
            with _Untraced():
                self._protos[p].output = _output_spec(out)

        return post

    def _stub(self, r: str, p: str, module) -> Callable:
        real = type(module).forward

        def forward(*args, **kwargs):
            if r in self._reached:
                self.valid = False  # a replica reached twice: its facts are not one call's
            self._reached.add(r)
            proto = self._protos[p]
            with _Untraced():
                same = (proto.calls == 1 and proto.output is not None
                        and proto.inputs == (_signature(args, self._keep), _signature(kwargs, self._keep)))
            base = _first_tensor(args, kwargs)
            if not same or base is None:
                return real(module, *args, **kwargs)
            self.replayed.append((r, p))
            return _rebuild(proto.output, base)

        return forward

    def copy(self, facts: dict[str, Any], value: Callable[[Any, str], Any] = lambda v, path: v) -> dict[str, Any]:
        """Facts keyed by module path (the prototype and everything under it) copied to each
        replica that replayed (`value(fact, new path)` makes each copy); nested replicas first,
        so a prototype holding replicas of its own is complete before it is copied."""
        under: dict[str, list[str]] = {}  # a prototype's keys, complete once its inner copies are made
        for r, p in sorted(self.replayed, key=lambda rp: -rp[0].count(".")):
            if p not in under:
                prefix = p + "."
                under[p] = [k for k in facts if k == p or k.startswith(prefix)]
            for key in under[p]:
                path = r + key[len(p):]
                facts[path] = value(facts[key], path)
        return facts


def run_with_replicas(model, inputs: dict, run: Callable[[], Any]) -> tuple[Any, Replicas]:
    """`run()` (one forward of `model`, however it is observed) with identical layers run
    once; again with every layer if the copies turn out unusable."""
    replicas = Replicas.of(model, inputs)
    with replicas:
        result = run()
    if not replicas.valid:
        replicas = Replicas(model, enabled=False)
        with replicas:
            result = run()
    return result, replicas
