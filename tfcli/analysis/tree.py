"""The layer tree: each module with its parameters and output shape; repeats collapsed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TreeNode:
    name: str  # "layers.0–11" for a collapsed run
    type: str
    params: int  # parameters first owned here (a tied weight counts at its first owner)
    output_shape: list[int] | None = None
    repeat: int = 1
    tied: bool = False  # holds a weight owned elsewhere
    shared: bool = False  # a repeat of ONE module run `repeat` times (ALBERT): its parameters count once
    children: list["TreeNode"] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "params": self.params,
            "output_shape": self.output_shape,
            "repeat": self.repeat,
            "tied": self.tied,
            "shared": self.shared,
            "children": [c.to_dict() for c in self.children],
        }


def _shape_of(out):
    import torch

    if isinstance(out, torch.Tensor):
        return list(out.shape)
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return list(out[0].shape)
    return None


def record_output_shapes(model, inputs: dict) -> dict[str, list[int] | None]:
    """Run forward once with hooks (on meta this only propagates shapes, by tfcli's rules;
    identical layers run once and the others take their shapes)."""
    import torch

    from tfcli.meta_shapes import MetaShapes
    from tfcli.analysis.replicas import run_with_replicas

    def run() -> dict[str, list[int] | None]:
        shapes: dict[str, list[int] | None] = {}
        handles = []
        for name, module in model.named_modules():
            def hook(_m, _args, out, name=name):
                shapes[name] = _shape_of(out)  # the last call wins for shared modules

            handles.append(module.register_forward_hook(hook))
        try:
            with torch.inference_mode(), MetaShapes():
                model(**inputs)
        finally:
            for h in handles:
                h.remove()
        return shapes

    shapes, replicas = run_with_replicas(model, inputs, run)
    return replicas.copy(shapes, lambda shape, _path: None if shape is None else list(shape))


def _signature(module) -> tuple:
    """Modules with equal signatures are the same block repeated."""
    return (
        type(module).__name__,
        tuple((n, tuple(p.shape)) for n, p in module.named_parameters()),
        tuple(type(m).__name__ for m in module.modules()),
    )


def _is_index(name: str) -> bool:
    return name.rsplit(".", 1)[-1].isdigit()


def build_tree(model, shapes: dict[str, list[int] | None]) -> TreeNode:
    from torch import nn

    owner: dict[int, str] = {}
    for mod_name, module in model.named_modules(remove_duplicate=False):
        for p in module.parameters(recurse=False):
            owner.setdefault(id(p), mod_name)

    def own_params(path: str, module) -> tuple[int, bool]:
        n, tied = 0, False
        for sub_name, sub in module.named_modules(remove_duplicate=False):
            full = f"{path}.{sub_name}" if path and sub_name else (path or sub_name)
            for p in sub.parameters(recurse=False):
                if owner[id(p)] == full:
                    n += p.numel()
                elif not (path == "" or owner[id(p)].startswith(path + ".")):
                    tied = True  # the weight belongs to a module outside this subtree
        return n, tied

    def node(path: str, label: str, module) -> TreeNode:
        params, tied = own_params(path, module)
        result = TreeNode(label, type(module).__name__, params, shapes.get(path), tied=tied)
        # a ModuleList is only a container: show its blocks directly as "layers.0–11"
        children = []
        for name, child in module.named_children():
            if isinstance(child, nn.ModuleList):
                # every index, the same module at several included (a shared layer: named_children would hide it)
                children += [(f"{name}.{i}", c) for i, c in child._modules.items()]
            else:
                children.append((name, child))
        i = 0
        while i < len(children):
            name, child = children[i]
            j = i + 1
            sig = _signature(child)
            prefix = name.rsplit(".", 1)[0]
            while (
                j < len(children)
                and _is_index(name)
                and _is_index(children[j][0])
                and children[j][0].rsplit(".", 1)[0] == prefix  # same list, not a named sibling
                and _signature(children[j][1]) == sig
            ):
                j += 1
            child_path = f"{path}.{name}" if path else name
            sub = node(child_path, name, child)
            n = getattr(child, "tree_repeat", 1)
            if n > 1:  # copies stored as one module (a mixture's stacked experts): shown as a run
                sub.name, sub.repeat, sub.params = f"{name} 0–{n - 1}", n, sub.params // n
            if j - i > 1:
                last = children[j - 1][0]
                sub.name = f"{name}–{last.rsplit('.', 1)[-1]}"
                sub.repeat = j - i
                sub.shared = all(children[k][1] is child for k in range(i, j))
                sub.output_shape = shapes.get(f"{path}.{last}" if path else last, sub.output_shape)
            result.children.append(sub)
            i = j
        return result

    return node("", type(model).__name__, model)
