"""Parameter counts by category and by component; tied weights count once."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfcli.spec.tally import MODULE_CATEGORIES as CATEGORIES


@dataclass
class ParamReport:
    total: int
    trainable: int
    by_category: dict[str, int]
    by_component: dict[str, int] = field(default_factory=dict)
    tied: list[str] = field(default_factory=list)  # "lm_head.proj.weight = tokens.weight"
    active: int | None = None  # parameters a token runs through (MoE: top_k experts); None = total

    @property
    def active_params(self) -> int:
        return self.total if self.active is None else self.active

    @property
    def sparse(self) -> bool:
        """A mixture of experts: fewer parameters per token than in the model."""
        return self.active_params != self.total

    def bytes(self, bytes_per_param: int) -> int:
        return self.total * bytes_per_param


def module_categories(model) -> dict[str, str]:
    """Module path → category: its own kind for norms, else the nearest block that declares one."""
    from torch import nn

    norm_types = (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.BatchNorm2d)
    conv_types = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)
    cats: dict[str, str] = {}
    for name, module in model.named_modules():
        parent = cats.get(name.rsplit(".", 1)[0] if "." in name else "", "other") if name else "other"
        own = getattr(type(module), "category", None)
        if isinstance(module, norm_types):
            cats[name] = "norms"
        elif own is not None:
            cats[name] = own
        elif parent == "other" and isinstance(module, conv_types):
            cats[name] = "convolution"
        else:
            cats[name] = parent
    return cats


def count_params(model) -> ParamReport:
    cats = module_categories(model)
    by_category = dict.fromkeys(CATEGORIES, 0)
    owner: dict[int, str] = {}
    owner_module: dict[int, int] = {}
    tied: list[str] = []
    total = trainable = 0
    for mod_name, module in model.named_modules(remove_duplicate=False):
        for p_name, p in module.named_parameters(recurse=False):
            full = f"{mod_name}.{p_name}" if mod_name else p_name
            if id(p) in owner:
                # the same module reached again (a layer shared across depth) shares, it does not tie
                if owner_module[id(p)] != id(module) and owner[id(p)] != full and full not in tied:
                    tied.append(f"{full} = {owner[id(p)]}")
                continue
            owner[id(p)] = full
            owner_module[id(p)] = id(module)
            n = p.numel()
            total += n
            trainable += n if p.requires_grad else 0
            by_category[cats.get(mod_name, "other")] += n
    # a mixture of experts runs each token through top_k of its experts (tfcli.blocks.moe)
    inactive = sum(getattr(m, "inactive_params", 0) for m in model.modules())
    by_component = {}
    if hasattr(model, "components"):
        for comp, sub in model.components().items():
            by_component[comp] = sum(p.numel() for p in sub.parameters())
        rest = total - sum(by_component.values())
        if by_component and rest > 0:  # embeddings, heads and the like outside the named parts
            by_component["other (outside these parts)"] = rest
    return ParamReport(total, trainable, by_category, by_component, sorted(set(tied)),
                       active=total - inactive if inactive else None)
