"""Measuring what a training forward keeps for backward, on a real model.

Every tensor autograd saves passes through `torch.autograd.graph.saved_tensors_hooks`; each
storage is counted once (Q, K and V are views of one projection; cross-attention's K and V
read one context), parameters and buffers not at all. Each storage is charged to the module
running when it was first saved, by tfcli's categories. On CUDA the allocator's peak is read
too (`torch.cuda.max_memory_allocated`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tfcli.errors import UsageError
from tfcli.spec import ResolvedInput, ResolvedSpec


@dataclass
class SavedMeasurement:
    total_bytes: int
    by_category: dict[str, int]
    tensors: int  # distinct storages
    device: str
    dtype: str
    peak_allocated_bytes: int | None = None  # CUDA: the allocator's peak over the forward
    by_module: dict[str, int] = field(default_factory=dict)


def measure_saved(spec: ResolvedSpec, x: ResolvedInput, device: str = "cpu", dtype: str = "fp32") -> SavedMeasurement:
    """Build `spec` with real (random) weights on `device`, run one training-mode forward at
    `x` and sum the distinct tensors saved for backward."""
    import torch

    from tfcli.analysis.params import module_categories
    from tfcli.bench.devices import cast_inputs, torch_dtype
    from tfcli.bench.memory import is_oom
    from tfcli.build import build_model

    torch.manual_seed(0)
    try:
        model = build_model(spec.config, device=device, dtype=torch_dtype(dtype)).train()
        inputs = cast_inputs(model.inputs_for(x, device), dtype)
    except Exception as e:
        if is_oom(e):
            raise UsageError(f"--measure: {spec.name} does not fit on {device}; shrink it with --set "
                             "(e.g. num_layers=2) or lower --batch/--seq-len") from None
        raise
    for p in model.parameters():
        p.requires_grad_(True)
    own = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    categories = module_categories(model)
    names = {m: n for n, m in model.named_modules()}
    running = [""]

    def enter(module, args) -> None:
        running.append(names[module])

    def leave(module, args, out) -> None:  # returns None: the output stays the module's
        running.pop()

    hooks = [h for m in model.modules() for h in (m.register_forward_pre_hook(enter), m.register_forward_hook(leave))]
    saved: dict[int, tuple[int, str, object]] = {}

    def pack(t):
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in own and ptr not in saved:  # the storage is held here, so no later one reuses its address
            saved[ptr] = (storage.nbytes(), running[-1], storage)
        return t

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = model(**inputs)
    except Exception as e:
        if is_oom(e):
            raise UsageError(f"--measure: the forward of {spec.name} ran out of memory on {device}; "
                             "lower --batch/--seq-len or shrink it with --set") from None
        raise
    finally:
        for h in hooks:
            h.remove()
    peak = None
    if cuda:
        torch.cuda.synchronize(device)
        peak = int(torch.cuda.max_memory_allocated(device))
    del out
    by_category: Counter = Counter()
    by_module: Counter = Counter()
    for nbytes, module, _ in saved.values():
        by_category[categories.get(module, "other")] += nbytes
        by_module[module] += nbytes
    return SavedMeasurement(sum(by_category.values()), dict(by_category), len(saved), device, dtype, peak,
                            dict(by_module))
