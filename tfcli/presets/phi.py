"""Phi-1.5 / Phi-2: attention and MLP in parallel off ONE shared LayerNorm
(x + attn(ln(x)) + mlp(ln(x))), rotary positions on part of each head, biases on every
projection, GELU (tanh) MLP, a final LayerNorm and an untied LM head with a bias."""

from dataclasses import dataclass

from tfcli.presets._text import (
    check_attention, check_choices, check_rotary, decoder_lm, rope_parameter, rope_scaling_note, rotary,
)
from tfcli.presets.llama import expect_plain_head_dim, llama_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, block_spec


@dataclass
class PhiConfig(ArchConfig):
    """Phi-2's values."""

    vocab_size: int = 51200
    d_model: int = 2560
    num_layers: int = 32
    num_heads: int = 32
    num_kv_heads: int = 32
    ffn_dim: int = 10240
    max_positions: int = 2048
    activation: str = "gelu_tanh"
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rotary_fraction: float = 0.4  # share of each head's channels RoPE rotates (32 of Phi-2's 80)
    tie_embeddings: bool = False

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads, self.num_kv_heads)
        check_choices(self.family, self.activation)
        check_rotary(self.family, self.d_model // self.num_heads, self.rotary_fraction)

    def layout(self) -> Layout:
        block = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, num_kv_heads=self.num_kv_heads, activation=self.activation,
            norm_eps=self.norm_eps, causal=True, parallel=True, shared_norm=True,
        )
        return decoder_lm(self.vocab_size, block, self.num_layers, tied=self.tie_embeddings, head_bias=True,
                          positions=rotary(self.d_model // self.num_heads, self.rope_theta, self.rotary_fraction))


def from_hf(f) -> ArchConfig:
    f.architecture_is("PhiForCausalLM")
    f.expect("qk_layernorm", False, "tfcli's Phi has no query/key LayerNorms")
    rope_scaling_note(f)
    fields = llama_fields(f, max_positions=2048, norm_eps=1e-5, norm_field="layer_norm_eps", activation="gelu_new")
    expect_plain_head_dim(f, fields, "Phi")
    return PhiConfig(
        **fields,
        rotary_fraction=rope_parameter(f, "partial_rotary_factor", "partial_rotary_factor", 0.5,
                                       to="rotary_fraction"),
    )


_REF = "transformers PhiForCausalLM (microsoft/{}), LM head untied with a bias"

FAMILY = register(Family(
    "phi",
    PhiConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with parallel attention + MLP off one LayerNorm, partial rotary (Phi-1.5, Phi-2)",
    presets=(
        Preset("phi-2", PhiConfig, params=2_779_683_840, macs=341_638_184_960,
               aliases=("phi", "phi2", "microsoft/phi-2"), reference=_REF.format("phi-2")),
        Preset("phi-1.5",
               lambda: PhiConfig(d_model=2048, num_layers=24, num_heads=32, num_kv_heads=32, ffn_dim=8192,
                                 rotary_fraction=0.5),
               params=1_418_270_720, macs=169_683_976_192,
               aliases=("phi-1_5", "microsoft/phi-1_5"), reference=_REF.format("phi-1_5")),
    ),
    facts=FamilyFacts(
        "Phi-1.5 / Phi-2",
        Text("auto-regressive next-token prediction (causal LM) on textbook-quality and synthetic data",
             "以教科书品质与合成数据做自回归下一个 token 预测（因果语言模型）"),
        Text("reasoning, code, question answering at a small size", "小模型上的推理、代码、问答"),
        Text(
            "a small decoder made cheap per layer: one LayerNorm feeds attention and MLP side by side, "
            "summed in one residual step; RoPE turns only part of each head",
            "让每层更省的小型 Decoder：同一个 LayerNorm 同时喂给并排的 attention 与 MLP，在同一步残差中相加；RoPE 只旋转每个 head 的一部分通道",
        ),
    ),
    hf_mappers={"phi": from_hf},
))
