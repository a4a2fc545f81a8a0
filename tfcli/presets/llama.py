"""Llama-style decoders: pre-RMSNorm, RoPE, SwiGLU, grouped-query attention, no biases."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets._text import (  # noqa: F401 - rope_theta, rope_scaling_note: what the Llama-like records read
    RotarySpec, check_attention, check_choices, check_rope, decoder_lm, rope_scaling_note, rope_theta,
)
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, Layout, StackSpec, block_spec


@dataclass
class LlamaConfig(ArchConfig):
    vocab_size: int = 32000
    d_model: int = 4096
    num_layers: int = 32
    num_heads: int = 32
    num_kv_heads: int = 32  # < num_heads: grouped-query attention; 1: multi-query
    ffn_dim: int = 11008
    max_positions: int = 4096
    activation: str = "silu"
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_embeddings: bool = False
    head_dim: int | None = None  # None: d_model / num_heads; set: decoupled (Qwen3, Gemma)

    # Q/K/V biases (Qwen2 keeps them; Llama has none); the output projection never has one
    qkv_bias: ClassVar[bool] = False

    @property
    def head_size(self) -> int:
        return self.head_dim or self.d_model // self.num_heads

    def check(self) -> None:
        if self.head_dim is None:
            check_attention(self.family, self.d_model, self.num_heads, self.num_kv_heads)
        else:
            check_attention(self.family, self.num_heads * self.head_dim, self.num_heads, self.num_kv_heads)
        check_choices(self.family, self.activation)
        check_rope(self.family, self.head_size)

    def block(self) -> BlockSpec:
        """One decoder layer; the families built on Llama change it here."""
        return block_spec(
            self.d_model, self.num_heads, self.ffn_dim, num_kv_heads=self.num_kv_heads, head_dim=self.head_dim,
            activation=self.activation, gated=True, norm="rms", norm_eps=self.norm_eps, qkv_bias=self.qkv_bias,
            out_bias=False, ffn_bias=False, causal=True,
        )

    def stack(self) -> BlockSpec | StackSpec:
        """The decoder layers: num_layers × block(), or a StackSpec where layers differ (Gemma 2, OLMo 2)."""
        return self.block()

    def layout(self) -> Layout:
        return decoder_lm(self.vocab_size, self.stack(), self.num_layers, tied=self.tie_embeddings,
                          positions=RotarySpec(self.head_size, self.rope_theta))


def head_dim(f, d: int, heads: int) -> int | None:
    """config.json's head_dim: None (d / heads) when absent, null or equal to it."""
    if f.data.get("head_dim") is None:
        return None
    value = f.int("head_dim", to="head_dim")
    return None if value * heads == d else value


def llama_fields(f, *, max_positions: int, norm_eps: float = 1e-6, norm_field: str = "rms_norm_eps",
                 activation: str = "silu", theta: float = 10000.0, tied: bool = False) -> dict:
    """The fields a Llama-shaped config.json shares (Llama, Mistral, Mixtral, Qwen2/3, OLMo 2,
    StarCoder2, Phi-3), read once; the keywords are the defaults transformers uses when a
    field is absent, which differ by family."""
    d, heads = f.int("hidden_size", to="d_model"), f.int("num_attention_heads", to="num_heads")
    return dict(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=heads,
        num_kv_heads=f.int("num_key_value_heads", heads, to="num_kv_heads"),  # null means MHA
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", max_positions, to="max_positions"),
        activation=f.activation("hidden_act", activation),
        norm_eps=f.float(norm_field, norm_eps),
        rope_theta=rope_theta(f, theta),
        tie_embeddings=f.bool("tie_word_embeddings", tied),
    )


def expect_plain_head_dim(f, fields: dict, who: str) -> None:
    """Families built with head size hidden_size / heads refuse a config.json that says otherwise."""
    d, heads = fields["d_model"], fields["num_heads"]
    if f.data.get("head_dim") is not None and d % heads == 0:
        f.expect("head_dim", d // heads, f"tfcli's {who} uses hidden_size / num_attention_heads")


def note_dense_window(f) -> None:
    """A sliding_window these families' builds do not apply (transformers' own default is dense)."""
    f.note("sliding_window", "not modelled; attention is built dense (parameters unaffected, FLOPs at long "
           "lengths overstated)")


def from_hf(f) -> ArchConfig:
    f.expect("attention_bias", False, "tfcli's Llama has no biases")
    f.expect("mlp_bias", False, "tfcli's Llama has no biases")
    f.architecture_is("LlamaForCausalLM")
    rope_scaling_note(f)
    fields = llama_fields(f, max_positions=2048)
    return LlamaConfig(**fields, head_dim=head_dim(f, fields["d_model"], fields["num_heads"]))


_REF = "transformers LlamaForCausalLM ({})"

FAMILY = register(Family(
    "llama",
    LlamaConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with RoPE, RMSNorm, SwiGLU and grouped-query attention",
    presets=(
        Preset("llama2-7b", LlamaConfig, params=6_738_415_616, macs=850_171_265_024, slow=True,
               aliases=("llama", "llama2", "meta-llama/Llama-2-7b-hf"), reference=_REF.format("Llama-2-7b-hf")),
        Preset("llama2-70b",
               lambda: LlamaConfig(d_model=8192, num_layers=80, num_heads=64, num_kv_heads=8, ffn_dim=28672),
               params=68_976_648_192, macs=8_817_606_656_000, slow=True,
               aliases=("meta-llama/Llama-2-70b-hf",),
               reference=_REF.format("Llama-2-70b-hf, GQA with 8 key/value heads")),
        Preset("tinyllama-1.1b",
               lambda: LlamaConfig(d_model=2048, num_layers=22, num_heads=32, num_kv_heads=4, ffn_dim=5632,
                                   max_positions=2048),
               params=1_100_048_384, macs=133_941_166_080,
               aliases=("tinyllama", "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
                        "TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
               reference=_REF.format("TinyLlama-1.1B")),
        Preset("llama3-8b",
               lambda: LlamaConfig(vocab_size=128256, num_kv_heads=8, ffn_dim=14336, max_positions=8192,
                                   rope_theta=500000.0),
               params=8_030_261_248, macs=965_061_640_192, slow=True,
               aliases=("llama3", "meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct"),
               reference=_REF.format("Meta-Llama-3-8B")),
        Preset("llama3.1-8b",
               lambda: LlamaConfig(vocab_size=128256, num_kv_heads=8, ffn_dim=14336, max_positions=131072,
                                   rope_theta=500000.0),
               params=8_030_261_248, macs=965_061_640_192, slow=True,
               aliases=("llama3.1", "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct",
                        "meta-llama/Meta-Llama-3.1-8B"),
               reference=_REF.format("Llama-3.1-8B; its llama3 rope_scaling changes angles only")),
        Preset("llama3.2-1b",
               lambda: LlamaConfig(vocab_size=128256, d_model=2048, num_layers=16, num_kv_heads=8, ffn_dim=8192,
                                   max_positions=131072, rope_theta=500000.0, tie_embeddings=True),
               params=1_235_814_400, macs=159_292_588_032,
               aliases=("llama3.2", "meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-1B-Instruct"),
               reference=_REF.format("Llama-3.2-1B, LM head tied")),
        Preset("llama3.2-3b",
               lambda: LlamaConfig(vocab_size=128256, d_model=3072, num_layers=28, num_heads=24, num_kv_heads=8,
                                   ffn_dim=8192, max_positions=131072, rope_theta=500000.0, tie_embeddings=True),
               params=3_212_749_824, macs=414_140_203_008, slow=True,
               aliases=("meta-llama/Llama-3.2-3B", "meta-llama/Llama-3.2-3B-Instruct"),
               reference=_REF.format("Llama-3.2-3B, LM head tied")),
        Preset("codellama-7b",
               lambda: LlamaConfig(vocab_size=32016, max_positions=16384, rope_theta=1_000_000.0),
               params=6_738_546_688, macs=850_179_653_632, slow=True,
               aliases=("codellama", "meta-llama/CodeLlama-7b-hf", "codellama/CodeLlama-7b-hf"),
               reference=_REF.format("CodeLlama-7b-hf")),
    ),
    facts=FamilyFacts(
            "Llama",
            Text("auto-regressive next-token prediction (causal LM)", "自回归下一个 token 预测（因果语言模型）"),
            Text("chat, instruction following, code, general generation", "对话、指令遵循、代码、通用生成"),
            Text(
                "decoder-only like GPT, with RoPE (no position table), RMSNorm, SwiGLU and grouped "
                "key/value heads that shrink the KV cache for long generation",
                "与 GPT 相同的 Decoder-only，改用 RoPE（无位置表）、RMSNorm、SwiGLU，以及分组 key/value heads (GQA) 以缩小长序列生成时的 KV cache",
            ),
        ),
    hf_mappers={"llama": from_hf},
))
