"""Which module an op belongs to, forward and backward: what FlopCounterMode's per-module
counts need on a training step.

FlopCounterMode asks its module tracker for the modules running now (`.parents`). Its own
ModuleTracker finds backward modules by hooks on each module's inputs and outputs, which
misattributes (counts twice, or under the wrong module) when one tensor feeds several
modules: T5's encoder output read by every cross-attention, a shared bias, pixels read
by a conv that needs no input gradient. This one records, as the forward runs, the
modules whose forward created each autograd node, and in the backward reads the node the
engine is running (torch._C._current_autograd_node): an op belongs to the module whose
forward made the node it differentiates. A forward that runs again inside the backward
(activation checkpointing's recomputation) is attributed as a forward.
"""

from __future__ import annotations

GLOBAL = "Global"  # FlopCounterMode's key for the whole count


class AutogradModuleTracker:
    """A stand-in for torch.utils.module_tracker.ModuleTracker with the same interface
    FlopCounterMode uses: enter, exit, and `parents` (names "Root.path" plus "Global")."""

    def __init__(self, model):
        root = type(model).__name__
        self.names: dict[int, str] = {}
        for name, module in model.named_modules():  # a module shared across depth: its first name
            self.names.setdefault(id(module), f"{root}.{name}" if name else root)
        self.root = frozenset({GLOBAL, root})
        self.stack: list[frozenset[str]] = []  # the running forwards, innermost last
        self.node_parents: dict = {}  # autograd node → the modules whose forward made it
        self.handles: list = []

    @property
    def parents(self) -> frozenset[str]:
        import torch

        if self.stack:
            return self.stack[-1]
        node = torch._C._current_autograd_node()
        if node is None:
            return frozenset({GLOBAL})
        return self.node_parents.get(node, self.root)  # made outside any module: the model's

    def _push(self, module, args):
        name = self.names.get(id(module))
        if name is not None:
            self.stack.append((self.stack[-1] if self.stack else frozenset({GLOBAL})) | {name})

    def _pop(self, module, args, output):
        if id(module) in self.names and self.stack:
            self.stack.pop()

    def record(self, outputs) -> None:
        """Every autograd node behind `outputs` not yet seen was made by the running forward."""
        import torch
        from torch.utils._pytree import tree_leaves

        if not self.stack:
            return
        parents = self.stack[-1]
        todo = [t.grad_fn for t in tree_leaves(outputs) if isinstance(t, torch.Tensor) and t.grad_fn is not None]
        while todo:
            node = todo.pop()
            if node is None or node in self.node_parents:
                continue
            self.node_parents[node] = parents
            todo.extend(n for n, _ in node.next_functions)

    def __enter__(self) -> "AutogradModuleTracker":
        from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
        from torch.overrides import TorchFunctionMode

        tracker = self

        class NodeRecorder(TorchFunctionMode):
            """Sees each torch call above autograd, so its outputs' nodes already exist."""

            def __torch_function__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                tracker.record(out)
                return out

        self.handles = [register_module_forward_pre_hook(self._push),
                        register_module_forward_hook(self._pop, always_call=True)]
        self.mode = NodeRecorder()
        self.mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.mode.__exit__(None, None, None)
        finally:
            for h in self.handles:
                h.remove()
            self.handles = []
