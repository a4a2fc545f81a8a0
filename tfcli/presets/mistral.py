"""Mistral: a Llama-style decoder (GQA, RoPE, RMSNorm, SwiGLU) whose attention reads only the
last `sliding_window` tokens, so score cost and KV cache stop growing with the sequence."""

from dataclasses import dataclass, replace

from tfcli.presets._text import rope_scaling_note
from tfcli.presets.llama import LlamaConfig, head_dim, llama_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, InputShape, ResolvedInput
from tfcli.spec.tally import band_blocks


@dataclass
class MistralConfig(LlamaConfig):
    """LlamaConfig's fields with Mistral-7B-v0.1's values, plus the attention window."""

    d_model: int = 4096
    num_kv_heads: int = 8
    ffn_dim: int = 14336
    max_positions: int = 32768
    sliding_window: int = 4096  # 0: dense causal attention (Mistral-7B-v0.2 and later)

    zero_ok = ("sliding_window",)

    def block(self) -> BlockSpec:
        block = super().block()
        return replace(block, attention=replace(block.attention, sliding_window=self.sliding_window))

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        x = super().resolve_input(shape)
        note = sliding_note(x.tokens, self.sliding_window)
        return replace(x, notes=x.notes + [note]) if note else x


def sliding_note(tokens: int, window: int) -> str | None:
    """What a sliding window does to the count once the sequence is longer than it."""
    if not window or tokens <= window:
        return None
    blocks, tq, tk = band_blocks(tokens, window)
    how = (f"in {blocks} blocks of {tq} queries × {tk} keys" if blocks > 1
           else f"as one {tokens}×{tokens} band-masked call (smaller than blocks)")
    return (f"sliding window {window}: scores of the windowed layers are computed {how}; "
            f"their KV cache holds {window} tokens, not {tokens}")


def from_hf(f) -> ArchConfig:
    f.architecture_is("MistralForCausalLM")
    rope_scaling_note(f)
    fields = llama_fields(f, max_positions=32768)
    return MistralConfig(
        **fields,
        head_dim=head_dim(f, fields["d_model"], fields["num_heads"]),
        sliding_window=f.int("sliding_window", 0, to="sliding_window", zero_ok=True),  # null: dense
    )


FAMILY = register(Family(
    "mistral",
    MistralConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Llama whose attention reads a sliding window of recent tokens",
    presets=(
        Preset("mistral-7b", MistralConfig, params=7_241_732_096, macs=914_595_774_464, slow=True,
               aliases=("mistral", "mistral-7b-v0.1", "mistralai/Mistral-7B-v0.1"),
               reference="transformers MistralForCausalLM (mistralai/Mistral-7B-v0.1, sliding window 4096)"),
    ),
    facts=FamilyFacts(
        "Mistral",
        Text("auto-regressive next-token prediction (causal LM)", "自回归下一个 token 预测（因果语言模型）"),
        Text("chat, instruction following, code, general generation", "对话、指令遵循、代码、通用生成"),
        Text(
            "a Llama-style decoder (RoPE, RMSNorm, SwiGLU, 8 grouped K/V heads) whose attention reads only the "
            "last 4096 tokens: past the window, score cost grows linearly and the KV cache stays at the window",
            "与 Llama 相同的 Decoder-only 结构（RoPE、RMSNorm、SwiGLU、8 个分组 K/V 头），但注意力只读最近 4096 个 token："
            "超过窗口后，注意力分数的计算量线性成长，KV cache 固定为窗口大小",
        ),
    ),
    hf_mappers={"mistral": from_hf},
))
