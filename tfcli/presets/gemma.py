"""Gemma (1): a Llama-style decoder with GeGLU, 256-wide heads decoupled from d_model / heads,
embeddings scaled by sqrt(d_model), RMSNorms applied as (1 + w), and the LM head tied."""

import math
from dataclasses import dataclass, replace

from tfcli.presets._text import RotarySpec, decoder_lm, rope_scaling_note, rope_theta
from tfcli.presets.llama import LlamaConfig
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, Layout


@dataclass
class GemmaConfig(LlamaConfig):
    """LlamaConfig's fields with gemma-2b's values: multi-query attention, 8 heads of 256."""

    vocab_size: int = 256000
    d_model: int = 2048
    num_layers: int = 18
    num_heads: int = 8
    num_kv_heads: int = 1
    ffn_dim: int = 16384
    max_positions: int = 8192
    activation: str = "gelu_tanh"  # gated: GeGLU
    norm_eps: float = 1e-6
    tie_embeddings: bool = True
    head_dim: int | None = 256

    def block(self) -> BlockSpec:
        block = super().block()
        return replace(block, norm=replace(block.norm, unit_offset=True))  # Gemma's (1 + w) scale

    def logit_softcap(self) -> float:
        return 0.0

    def layout(self) -> Layout:
        # sqrt(d) is a multiply on every embedded token: elementwise, no MACs
        return decoder_lm(self.vocab_size, self.stack(), self.num_layers, tied=self.tie_embeddings,
                          positions=RotarySpec(self.head_size, self.rope_theta), embed_scale=math.sqrt(self.d_model),
                          logit_softcap=self.logit_softcap())


def activation(f) -> str:
    """Gemma's GeGLU: transformers reads hidden_activation, and takes a legacy hidden_act 'gelu' as tanh."""
    if f.data.get("hidden_activation") is not None:
        return f.activation("hidden_activation", "gelu_pytorch_tanh")
    if f.data.get("hidden_act") == "gelu":
        f.note("hidden_act", "legacy 'gelu' in a Gemma config means the tanh approximation (as transformers reads it)")
        return "gelu_tanh"
    return f.activation("hidden_act", "gelu_pytorch_tanh")


def gemma_fields(f) -> dict:
    """The fields every Gemma generation's config.json shares."""
    f.expect("attention_bias", False, "Gemma has no biases")
    rope_scaling_note(f)
    heads = f.int("num_attention_heads", to="num_heads")
    return dict(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("hidden_size", to="d_model"),
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=heads,
        num_kv_heads=f.int("num_key_value_heads", heads, to="num_kv_heads"),
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 8192, to="max_positions"),
        activation=activation(f),
        norm_eps=f.float("rms_norm_eps", 1e-6),
        rope_theta=rope_theta(f),
        tie_embeddings=f.bool("tie_word_embeddings", True),
        head_dim=f.int("head_dim", 256, to="head_dim"),
    )


def from_hf(f) -> ArchConfig:
    f.architecture_is("GemmaForCausalLM")
    return GemmaConfig(**gemma_fields(f))


_REF = "transformers GemmaForCausalLM ({}, LM head tied)"

FAMILY = register(Family(
    "gemma",
    GemmaConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Llama, with GeGLU, 256-wide heads, scaled embeddings and a tied head (Gemma)",
    presets=(
        Preset("gemma-2b", GemmaConfig, params=2_506_172_416, macs=322_036_826_112,
               aliases=("gemma", "google/gemma-2b", "google/gemma-2b-it"), reference=_REF.format("google/gemma-2b")),
        Preset("gemma-7b",
               lambda: GemmaConfig(d_model=3072, num_layers=28, num_heads=16, num_kv_heads=16, ffn_dim=24576),
               params=8_537_680_896, macs=1_096_670_904_320, slow=True,
               aliases=("google/gemma-7b", "google/gemma-7b-it"), reference=_REF.format("google/gemma-7b")),
    ),
    facts=FamilyFacts(
        "Gemma",
        Text("auto-regressive next-token prediction (causal LM), then instruction tuning",
             "自回归下一个 token 预测（因果语言模型），之后指令微调"),
        Text("chat, question answering, summarisation, on-device generation", "对话、问答、摘要、设备端生成"),
        Text(
            "a Llama-style decoder with GeGLU feed-forward, wide 256-channel heads (multi-query on 2B), embeddings "
            "multiplied by sqrt(d_model) and a 256k-token table shared with the LM head",
            "与 Llama 相同的 Decoder-only 结构，改用 GeGLU 前馈、宽 256 维的注意力头（2B 为多查询注意力 MQA），"
            "嵌入乘上 sqrt(d_model)，25.6 万词表与 LM head 共用",
        ),
    ),
    hf_mappers={"gemma": from_hf},
))
