"""Qwen3 (dense): a Llama-style decoder (GQA, RoPE, RMSNorm, SwiGLU, no biases) whose queries and
keys are RMS-normed per head before RoPE, with a head size decoupled from d_model / heads."""

from dataclasses import dataclass, replace

from tfcli.presets._text import rope_scaling_note
from tfcli.presets.llama import LlamaConfig, llama_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, NormSpec


@dataclass
class Qwen3Config(LlamaConfig):
    """LlamaConfig's fields with Qwen3-0.6B's values; 16 heads of 128 over a 1024-wide stream."""

    vocab_size: int = 151936
    d_model: int = 1024
    num_layers: int = 28
    num_heads: int = 16
    num_kv_heads: int = 8
    ffn_dim: int = 3072
    max_positions: int = 40960
    norm_eps: float = 1e-6
    rope_theta: float = 1_000_000.0
    tie_embeddings: bool = True
    head_dim: int | None = 128

    def block(self) -> BlockSpec:
        block = super().block()
        qk_norm = NormSpec("rms", self.head_size, self.norm_eps, bias=False)  # one scale per head channel
        return replace(block, attention=replace(block.attention, qk_norm=qk_norm))


def from_hf(f) -> ArchConfig:
    f.architecture_is("Qwen3ForCausalLM")
    f.expect("attention_bias", False, "tfcli's Qwen3 has no biases")
    if f.data.get("use_sliding_window"):
        raise f.fail("use_sliding_window", "= true is not modelled yet (tfcli builds Qwen3 with dense attention)")
    rope_scaling_note(f)
    return Qwen3Config(
        **llama_fields(f, max_positions=32768),
        head_dim=f.int("head_dim", 128, to="head_dim"),  # transformers' default when absent
    )


_REF = "transformers Qwen3ForCausalLM ({})"

FAMILY = register(Family(
    "qwen3",
    Qwen3Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Llama, with per-head q/k RMSNorm and a decoupled head size (Qwen3)",
    presets=(
        Preset("qwen3-0.6b", Qwen3Config, params=596_049_920, macs=78_257_455_104,
               aliases=("qwen3", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B-Base"),
               reference=_REF.format("Qwen/Qwen3-0.6B, LM head tied")),
        Preset("qwen3-8b",
               lambda: Qwen3Config(d_model=4096, num_layers=36, num_heads=32, num_kv_heads=8, ffn_dim=12288,
                                   tie_embeddings=False),
               params=8_190_735_360, macs=973_857_619_968, slow=True,
               aliases=("Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base"),
               reference=_REF.format("Qwen/Qwen3-8B")),
    ),
    facts=FamilyFacts(
        "Qwen3",
        Text("auto-regressive next-token prediction (causal LM), then instruction and reasoning tuning",
             "自回归下一个 token 预测（因果语言模型），之后指令与推理微调"),
        Text("chat, reasoning (thinking mode), multilingual generation, code", "对话、推理（思考模式）、多语言生成、代码"),
        Text(
            "a Llama-style decoder without biases whose queries and keys are RMS-normalised per head before RoPE "
            "(stabler attention logits); the head size is set on its own, not d_model / heads",
            "与 Llama 相同的 Decoder-only 结构（无偏置），在 RoPE 之前对每个头的 Q、K 做 RMSNorm（注意力 logits 更稳定）；"
            "头的维度单独设定，不等于 d_model / 头数",
        ),
    ),
    hf_mappers={"qwen3": from_hf},
))
