"""Gemma 2: Gemma with sandwich norms (each branch normed before and after), soft-capped attention
and output logits, a query scale of its own, and layers alternating sliding-window and global attention."""

from dataclasses import dataclass, replace

from tfcli.presets.gemma import GemmaConfig, gemma_fields
from tfcli.presets.mistral import sliding_note
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, InputShape, ResolvedInput, StackSpec, require


@dataclass
class Gemma2Config(GemmaConfig):
    """GemmaConfig's fields with gemma-2-2b's values, plus what Gemma 2 added."""

    d_model: int = 2304
    num_layers: int = 26
    num_heads: int = 8
    num_kv_heads: int = 4
    ffn_dim: int = 9216
    sliding_window: int = 4096  # 0: every layer global
    sliding_window_pattern: int = 2  # every N-th layer (1-based) is global, the others slide
    attn_softcap: float = 50.0  # 0: no cap
    final_softcap: float = 30.0
    query_pre_attn_scalar: float = 256.0  # scores scaled by its -1/2 power, not head_dim's

    zero_ok = ("sliding_window", "attn_softcap", "final_softcap")

    def check(self) -> None:
        super().check()
        require(self.sliding_window_pattern >= 1, self.family, "'sliding_window_pattern' must be at least 1")

    def global_layer(self, i: int) -> bool:
        return not self.sliding_window or (i + 1) % self.sliding_window_pattern == 0

    def block(self) -> BlockSpec:
        """A global layer: the sandwich, the query scale and the soft cap."""
        block = super().block()
        attention = replace(block.attention, scale=self.query_pre_attn_scalar ** -0.5, softcap=self.attn_softcap)
        return replace(block, attention=attention, branch_post_norm=True)

    def local_block(self, block: BlockSpec) -> BlockSpec:
        return replace(block, attention=replace(block.attention, sliding_window=self.sliding_window))

    def stack(self) -> StackSpec:
        full = self.block()
        local = self.local_block(full)
        layers = tuple(full if self.global_layer(i) else local for i in range(self.num_layers))
        return StackSpec(layers[0], self.num_layers, layer_blocks=layers)

    def logit_softcap(self) -> float:
        return self.final_softcap

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        x = super().resolve_input(shape)
        caps = [f"{what} ({cap:g})" for what, cap in (("attention scores", self.attn_softcap),
                                                       ("output logits", self.final_softcap)) if cap]
        notes = [f"soft-capping of {' and '.join(caps)}, cap·tanh(x/cap), is elementwise: not counted"] if caps else []
        note = sliding_note(x.tokens, self.sliding_window)
        return replace(x, notes=x.notes + notes + ([note] if note else []))


def layer_pattern(f, default: int, num_layers: int) -> int:
    """sliding_window_pattern, or the one `layer_types` spells; another arrangement is refused."""
    pattern = f.int("sliding_window_pattern", default, to="sliding_window_pattern")
    types = f.data.get("layer_types")
    if types is None:
        return pattern
    if not isinstance(types, list) or set(types) - {"sliding_attention", "full_attention"}:
        raise f.fail("layer_types", "must list 'sliding_attention' / 'full_attention' per layer")
    if "full_attention" in types:
        pattern = types.index("full_attention") + 1
    else:
        pattern = num_layers + 1
    expected = ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(len(types))]
    if types != expected or len(types) != num_layers:
        raise f.fail("layer_types", "is not modelled: tfcli builds a global layer every N-th layer, the others sliding")
    return pattern


def softcap(f, field: str, default: float | None) -> float:
    value = f.data.get(field, default)
    return 0.0 if value is None else f.float(field, default or 0.0)


def gemma2_fields(f, default_pattern: int, softcaps: tuple[float | None, float | None]) -> dict:
    if f.data.get("use_bidirectional_attention"):
        raise f.fail("use_bidirectional_attention", "= true is not modelled (tfcli builds causal Gemma)")
    fields = gemma_fields(f)
    return dict(
        fields,
        sliding_window=f.int("sliding_window", 4096, to="sliding_window", zero_ok=True),
        sliding_window_pattern=layer_pattern(f, default_pattern, fields["num_layers"]),
        attn_softcap=softcap(f, "attn_logit_softcapping", softcaps[0]),
        final_softcap=softcap(f, "final_logit_softcapping", softcaps[1]),
        query_pre_attn_scalar=f.float("query_pre_attn_scalar", 256.0),
    )


def from_hf(f) -> ArchConfig:
    f.architecture_is("Gemma2ForCausalLM")
    return Gemma2Config(**gemma2_fields(f, 2, (50.0, 30.0)))


_REF = "transformers Gemma2ForCausalLM ({}, LM head tied)"

FAMILY = register(Family(
    "gemma2",
    Gemma2Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="Gemma with sandwich norms, soft-capped logits and alternating sliding-window / global layers",
    presets=(
        Preset("gemma2-2b", Gemma2Config, params=2_614_341_888, macs=336_504_455_168,
               aliases=("gemma2", "gemma-2-2b", "google/gemma-2-2b", "google/gemma-2-2b-it"),
               reference=_REF.format("google/gemma-2-2b")),
        Preset("gemma2-9b",
               lambda: Gemma2Config(d_model=3584, num_layers=42, num_heads=16, num_kv_heads=8, ffn_dim=14336),
               params=9_241_705_984, macs=1_188_885_626_880, slow=True,
               aliases=("gemma-2-9b", "google/gemma-2-9b", "google/gemma-2-9b-it"),
               reference=_REF.format("google/gemma-2-9b")),
    ),
    facts=FamilyFacts(
        "Gemma 2",
        Text("auto-regressive next-token prediction (causal LM), the small ones distilled from a larger teacher",
             "自回归下一个 token 预测（因果语言模型），小模型由较大的教师模型蒸馏"),
        Text("chat, question answering, reasoning, on-device generation", "对话、问答、推理、设备端生成"),
        Text(
            "Gemma with a norm before and after each branch, attention and output logits soft-capped by tanh "
            "(elementwise), and every other layer attending to a 4096-token sliding window, which halves the "
            "long-context KV cache",
            "在 Gemma 基础上，每个分支前后各有一个 norm，注意力分数与输出 logits 以 tanh 软上限（逐元素运算），"
            "并且每隔一层只看 4096 个 token 的滑动窗口，长文本的 KV cache 因此减半",
        ),
    ),
    hf_mappers={"gemma2": from_hf},
))
