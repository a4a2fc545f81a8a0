"""torch's FlopCounterMode on the real forward, with the handles it lacks.

FlopCounterMode sees dispatched aten ops; an Observer mode beside it records the ops no
formula covers, and RMSNorm (which decomposes before dispatch) is counted by module hooks.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tfcli.analysis.flops.count import Count, categorise, own_counts
from tfcli.analysis.flops.handles import HOOKED_NORMS, split_unhandled, torch_handles


def count_torch(model, inputs: dict[str, Any]) -> Count:
    import time

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode, flop_registry

    from tfcli.analysis.meta_shapes import MetaShapes
    from tfcli.analysis.replicas import run_with_replicas

    custom = torch_handles()
    known = {getattr(k, "_overloadpacket", k) for k in (*flop_registry, *custom)}
    start = time.perf_counter()

    def run():
        seen: dict[str, Counter] = {}  # module path → calls of each op no formula covers, its own
        within = [""]  # the module running now
        in_norm = [0]

        class Observer(TorchDispatchMode):
            """Records ops the counter has no formula for (outside norms, which hooks count)."""

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                if in_norm[0] == 0 and func._overloadpacket not in known and not func.is_view:
                    seen.setdefault(within[-1], Counter())[func._overloadpacket.__name__] += 1
                return func(*args, **(kwargs or {}))

        norms: Counter = Counter()
        hooks = []
        for name, module in model.named_modules():
            def enter(mod, args, name=name):
                within.append(name)

            def leave(mod, args, out):
                within.pop()

            hooks += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
            if type(module).__name__ in HOOKED_NORMS:

                def pre(mod, args, name=name):
                    in_norm[0] += 1
                    affine = getattr(mod, "weight", None) is not None
                    norms[name] += args[0].numel() * (5 if affine else 4)

                def post(mod, args, out):
                    in_norm[0] -= 1

                hooks += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
        try:
            counter = FlopCounterMode(display=False, depth=None, custom_mapping=custom)
            with torch.no_grad(), MetaShapes(), counter, Observer():  # Observer sees each op first
                model(**inputs)
        finally:
            for h in hooks:
                h.remove()
        return counter.get_flop_counts(), seen, norms

    (flop_counts, seen, norms), replicas = run_with_replicas(model, inputs, run)
    root = type(model).__name__
    inclusive: dict[str, Counter] = {}
    for key, ops in flop_counts.items():
        if key == "Global":
            continue
        path = "" if key == root else key[len(root) + 1:] if key.startswith(root + ".") else None
        if path is None:
            continue
        inclusive[path] = Counter({op.__name__: n // 2 for op, n in ops.items()})  # FLOPs → MACs
    names = [n for n, _ in model.named_modules()]
    own = own_counts(inclusive, names)
    for name, n in norms.items():
        own.setdefault(name, Counter())["norm"] += n
    own = replicas.copy(own, lambda ops, _path: Counter(ops))
    total: Counter = Counter()
    for ops in replicas.copy(seen, lambda ops, _path: Counter(ops)).values():
        total.update(ops)
    uncounted, elementwise = split_unhandled(dict(total))
    return categorise(model, own, "torch", time.perf_counter() - start, uncounted, elementwise)
