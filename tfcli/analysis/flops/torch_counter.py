"""torch's FlopCounterMode on the real forward (and, for training, the real backward), with
the handles it lacks.

FlopCounterMode sees dispatched aten ops; an Observer mode beside it records the ops no
formula covers, and RMSNorm (which decomposes before dispatch) is counted by module hooks:
its forward when it runs, its backward when the gradient of its output arrives (one
forward's cost per gradient it produces, the rule of tfcli.analysis.flops.train).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tfcli.analysis.flops.count import Count, categorise, own_counts
from tfcli.analysis.flops.handles import HOOKED_NORMS, split_unhandled, torch_handles


class TorchCounter:
    """FlopCounterMode plus tfcli's handles, the Observer and the norm hooks, as one context.

    `phase(method)` closes what ran since the previous call as a Count, so one counted run
    can be split into forward and backward (the module attribution needs the counter on
    for both). `backward=True`: ops are attributed by tfcli.analysis.flops.tracker, which
    follows the autograd nodes into the backward (FlopCounterMode's own tracker does not)."""

    def __init__(self, model, backward: bool = False):
        self.model = model
        self.backward = backward
        # ops no formula covers: module path → op → calls in that module's own code (so
        # identical layers' copies can count theirs; the backward's all land on the root)
        self.seen: dict[str, Counter] = {}
        self.within = [""]  # the module whose forward runs now
        self.norms: Counter = Counter()  # MACs of the hooked norms, by module path
        self.in_norm = [0]
        self.hooks: list = []
        self.last: tuple[dict, dict[str, Counter], Counter] = ({}, {}, Counter())
        self.started = 0.0
        self.global_macs = 0  # FlopCounterMode's own total of the last phase (no hooked norms)

    def __enter__(self) -> "TorchCounter":
        import time

        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils.flop_counter import FlopCounterMode, flop_registry

        custom = torch_handles()
        known = {getattr(k, "_overloadpacket", k) for k in (*flop_registry, *custom)}
        seen, in_norm, within = self.seen, self.in_norm, self.within

        class Observer(TorchDispatchMode):
            """Records ops the counter has no formula for (outside norms, which hooks count)."""

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                if in_norm[0] == 0 and func._overloadpacket not in known and not func.is_view:
                    seen.setdefault(within[-1], Counter())[func._overloadpacket.__name__] += 1
                return func(*args, **(kwargs or {}))

        def enter(name: str):
            def pre(mod, args):
                within.append(name)

            return pre

        def leave(mod, args, out):  # returns None: the output stays the module's
            within.pop()

        for name, module in self.model.named_modules():
            self.hooks += [module.register_forward_pre_hook(enter(name)), module.register_forward_hook(leave)]
            if type(module).__name__ in HOOKED_NORMS:
                self.hooks += [module.register_forward_pre_hook(self._norm_pre(name)),
                               module.register_forward_hook(self._norm_post(name))]
        self.counter = FlopCounterMode(display=False, depth=None, custom_mapping=custom)
        if self.backward:  # FlopCounterMode reads only .parents and enter/exit of its tracker
            from tfcli.analysis.flops.tracker import AutogradModuleTracker

            self.counter.mod_tracker = AutogradModuleTracker(self.model)
        self.observer = Observer()
        self.counter.__enter__()
        self.observer.__enter__()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        try:
            self.observer.__exit__(*exc)
            self.counter.__exit__(*exc)
        finally:
            for h in self.hooks:
                h.remove()

    def _norm_pre(self, name: str):
        def pre(mod, args):
            self.in_norm[0] += 1
            affine = getattr(mod, "weight", None) is not None
            self.norms[name] += args[0].numel() * (5 if affine else 4)

        return pre

    def _norm_post(self, name: str):
        def post(mod, args, out):
            self.in_norm[0] -= 1
            weight = getattr(mod, "weight", None)
            # one forward's cost per gradient: the input's, and the scale's when it learns
            grads = int(args[0].requires_grad) + int(weight is not None and weight.requires_grad)
            if out.requires_grad and grads:
                cost = args[0].numel() * (5 if weight is not None else 4) * grads

                def on_grad(grad, name=name, cost=cost):
                    self.norms[name] += cost

                out.register_hook(on_grad)

        return post

    def phase(self, method: str = "torch", replicas=None) -> Count:
        """What was counted since the previous phase (or the start), as one method's Count;
        with `replicas` (tfcli.analysis.replicas), identical layers that ran once count for all."""
        import time

        counts = self.counter.get_flop_counts()
        before, seen_before, norms_before = self.last
        self.last = (counts, {k: Counter(v) for k, v in self.seen.items()}, Counter(self.norms))
        self.global_macs = (sum(counts.get("Global", {}).values()) - sum(before.get("Global", {}).values())) // 2
        root = type(self.model).__name__
        inclusive: dict[str, Counter] = {}
        for key, ops in counts.items():
            if key == "Global":
                continue
            path = "" if key == root else key[len(root) + 1:] if key.startswith(root + ".") else None
            if path is None:
                continue
            prior = before.get(key, {})
            inclusive[path] = +Counter({op.__name__: (n - prior.get(op, 0)) // 2 for op, n in ops.items()})  # FLOPs → MACs
        names = [n for n, _ in self.model.named_modules()]
        own = own_counts(inclusive, names)
        for name, n in (self.norms - norms_before).items():
            own.setdefault(name, Counter())["norm"] += n
        seen = {k: c - seen_before.get(k, Counter()) for k, c in self.seen.items()}
        if replicas is not None:
            own = replicas.copy(own, lambda ops, _path: Counter(ops))
            seen = replicas.copy(seen, lambda ops, _path: Counter(ops))
        total: Counter = Counter()
        for ops in seen.values():
            total.update(ops)
        uncounted, elementwise = split_unhandled(dict(total))
        now = time.perf_counter()
        seconds, self.started = now - self.started, now
        return categorise(self.model, own, method, seconds, uncounted, elementwise)


def count_torch(model, inputs: dict[str, Any]) -> Count:
    """One forward, on tfcli's shape rules (below the counter), identical layers run once."""
    import torch

    from tfcli.meta_shapes import MetaShapes
    from tfcli.analysis.replicas import run_with_replicas

    def run() -> TorchCounter:
        with torch.no_grad(), MetaShapes(), TorchCounter(model) as counter:
            model(**inputs)
        return counter

    counter, replicas = run_with_replicas(model, inputs, run)
    return counter.phase("torch", replicas)
