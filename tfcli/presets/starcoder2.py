"""StarCoder2: a code decoder with RoPE, grouped K/V heads and sliding-window attention like Mistral,
but LayerNorm, a plain GELU (tanh) MLP and biases on every linear."""

from dataclasses import dataclass, replace

from tfcli.presets._text import rope_scaling_note
from tfcli.presets.llama import head_dim, llama_fields
from tfcli.presets.mistral import MistralConfig
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, block_spec


@dataclass
class Starcoder2Config(MistralConfig):
    """MistralConfig's fields with starcoder2-3b's values, plus the biases switch."""

    vocab_size: int = 49152
    d_model: int = 3072
    num_layers: int = 30
    num_heads: int = 24
    num_kv_heads: int = 2
    ffn_dim: int = 12288
    max_positions: int = 16384
    activation: str = "gelu_tanh"
    norm_eps: float = 1e-5
    rope_theta: float = 999999.4420358813
    tie_embeddings: bool = True
    sliding_window: int = 4096
    bias: bool = True  # config.json's use_bias: Q, K, V, output and both MLP linears

    def block(self) -> BlockSpec:
        block = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, num_kv_heads=self.num_kv_heads, head_dim=self.head_dim,
            activation=self.activation, gated=False, norm="layer", norm_eps=self.norm_eps, qkv_bias=self.bias,
            out_bias=self.bias, ffn_bias=self.bias, causal=True,
        )
        return replace(block, attention=replace(block.attention, sliding_window=self.sliding_window))


def from_hf(f) -> ArchConfig:
    f.architecture_is("Starcoder2ForCausalLM")
    f.expect("mlp_type", "default", "tfcli builds StarCoder2's plain c_fc → GELU → c_proj MLP")
    f.expect("norm_type", "layer_norm", "tfcli builds StarCoder2 with LayerNorm")
    rope_scaling_note(f)
    # transformers' Starcoder2Config defaults: LayerNorm's epsilon, GELU (tanh), a tied head
    fields = llama_fields(f, max_positions=4096, norm_eps=1e-5, norm_field="norm_epsilon",
                          activation="gelu_pytorch_tanh", tied=True)
    return Starcoder2Config(
        **fields,
        head_dim=head_dim(f, fields["d_model"], fields["num_heads"]),
        sliding_window=f.int("sliding_window", 0, to="sliding_window", zero_ok=True),
        bias=f.bool("use_bias", True),
    )


_REF = "transformers Starcoder2ForCausalLM ({}, LM head tied)"

FAMILY = register(Family(
    "starcoder2",
    Starcoder2Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="code decoder with RoPE, GQA, sliding-window attention, LayerNorm, GELU MLP and biases (StarCoder2)",
    presets=(
        Preset("starcoder2-3b", Starcoder2Config, params=3_030_371_328, macs=390_894_845_952, slow=True,
               aliases=("starcoder2", "bigcode/starcoder2-3b"), reference=_REF.format("bigcode/starcoder2-3b")),
        Preset("starcoder2-7b",
               lambda: Starcoder2Config(d_model=4608, num_layers=32, num_heads=36, num_kv_heads=4, ffn_dim=18432,
                                        rope_theta=1_000_000.0),
               params=7_173_923_840, macs=923_072_790_528, slow=True,
               aliases=("bigcode/starcoder2-7b",), reference=_REF.format("bigcode/starcoder2-7b")),
    ),
    facts=FamilyFacts(
        "StarCoder2",
        Text("auto-regressive next-token prediction on code, with fill-in-the-middle",
             "在代码上的自回归下一个 token 预测，并训练中间填空 (FIM)"),
        Text("code completion and infilling across 600+ languages", "600 多种编程语言的代码补全与填空"),
        Text(
            "a decoder with RoPE, grouped K/V heads and a 4096-token sliding window (linear score cost, a KV cache "
            "capped at the window) that keeps GPT-style LayerNorm, a plain GELU MLP and biases everywhere",
            "具 RoPE、分组 K/V 头与 4096 token 滑动窗口的 Decoder（注意力分数计算量线性成长、KV cache 以窗口为上限），"
            "保留 GPT 式的 LayerNorm、一般 GELU MLP 与所有线性层的偏置",
        ),
    ),
    hf_mappers={"starcoder2": from_hf},
))
