"""The spec layer, torch-free: config dataclasses, the structural description (parts and
layouts), the MAC tally and the resolved input. `tfcli list` and completion read it without
importing torch."""

from tfcli.spec.config import (
    ACTIVATIONS,
    NORMS,
    ArchConfig,
    ResolvedSpec,
    config_from_dict,
    divides,
    one_of,
    past_positions_note,
    require,
)
from tfcli.spec.files import load_file, parse_override
from tfcli.spec.inputs import InputShape, ResolvedInput
from tfcli.spec.parts import (
    AttentionSpec,
    BlockSpec,
    Counted,
    FeedForwardSpec,
    Layout,
    Linear,
    LMHeadSpec,
    NormSpec,
    Part,
    PatchEmbed,
    RelPosBias,
    StackSpec,
    Table,
    Use,
    block_spec,
)
from tfcli.spec.moe import MLASpec, MoESpec
from tfcli.spec.tally import CATEGORIES, LABELS, Breakdown, Tally

__all__ = [
    "ACTIVATIONS", "NORMS", "ArchConfig", "ResolvedSpec", "config_from_dict", "divides", "load_file", "one_of",
    "parse_override", "past_positions_note", "require", "InputShape", "ResolvedInput", "AttentionSpec",
    "BlockSpec", "Counted", "FeedForwardSpec", "Layout", "Linear", "LMHeadSpec", "NormSpec", "Part", "PatchEmbed", "RelPosBias",
    "StackSpec", "Table", "Use", "block_spec", "CATEGORIES", "LABELS", "Breakdown", "Tally",
    "MLASpec", "MoESpec",
]
