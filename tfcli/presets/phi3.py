"""Phi-3: parameter for parameter a Llama-style decoder (pre-RMSNorm, RoPE, SwiGLU, grouped K/V
heads, no biases, untied head). transformers' Phi3 fuses Q/K/V into `qkv_proj` and gate/up into
`gate_up_proj`; tfcli's Attention and gated FeedForward are fused the same way, so the Llama
layout builds it unchanged."""

from dataclasses import dataclass

from tfcli.presets._text import rope_parameter, rope_scaling_note
from tfcli.presets.llama import LlamaConfig, expect_plain_head_dim, llama_fields, note_dense_window
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig


@dataclass
class Phi3Config(LlamaConfig):
    """LlamaConfig's fields with Phi-3-mini-4k's values."""

    vocab_size: int = 32064
    d_model: int = 3072
    num_layers: int = 32
    num_heads: int = 32
    num_kv_heads: int = 32
    ffn_dim: int = 8192
    max_positions: int = 4096
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_embeddings: bool = False


def from_hf(f) -> ArchConfig:
    f.architecture_is("Phi3ForCausalLM")
    f.expect("attention_bias", False, "Phi3ForCausalLM has no biases")
    # Phi-3.5 / 128k: longrope rescales the rotation frequencies per position range
    rope_scaling_note(f)
    if rope_parameter(f, "partial_rotary_factor", "partial_rotary_factor", 1.0) != 1.0:
        f.notes.append("partial_rotary_factor: RoPE turns part of each head (behaviour only; parameters and MACs "
                       "unaffected)")
    note_dense_window(f)
    fields = llama_fields(f, max_positions=4096, norm_eps=1e-5)
    expect_plain_head_dim(f, fields, "Phi-3")
    return Phi3Config(**fields)


_REF = "transformers Phi3ForCausalLM (microsoft/{})"

FAMILY = register(Family(
    "phi3",
    Phi3Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Llama with fused qkv / gate_up projections (Phi-3)",
    presets=(
        Preset("phi-3-mini-4k", Phi3Config, params=3_821_079_552, macs=479_813_566_464, slow=True,
               aliases=("phi3", "phi-3-mini", "microsoft/Phi-3-mini-4k-instruct"),
               reference=_REF.format("Phi-3-mini-4k-instruct")),
        Preset("phi-3-medium-4k",
               lambda: Phi3Config(d_model=5120, num_layers=40, num_heads=40, num_kv_heads=10, ffn_dim=17920),
               params=13_960_238_080, macs=1_772_820_234_240, slow=True,
               aliases=("phi-3-medium", "microsoft/Phi-3-medium-4k-instruct"),
               reference=_REF.format("Phi-3-medium-4k-instruct, GQA with 10 key/value heads")),
    ),
    facts=FamilyFacts(
        "Phi-3",
        Text("auto-regressive next-token prediction (causal LM) on filtered web and synthetic data, then "
             "instruction tuning", "以过滤后的网页与合成数据做自回归下一个 token 预测（因果语言模型），之后指令微调"),
        Text("chat, reasoning, code on small devices", "在小型设备上的对话、推理、代码"),
        Text(
            "the Llama recipe (RoPE, RMSNorm, SwiGLU, grouped K/V heads) at small sizes, with Q/K/V and "
            "gate/up each stored as one fused matrix",
            "在小尺寸上沿用 Llama 的做法（RoPE、RMSNorm、SwiGLU、分组 K/V 头），Q/K/V 与 gate/up 各自存成一个融合矩阵",
        ),
    ),
    hf_mappers={"phi3": from_hf},
))
