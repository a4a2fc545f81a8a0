"""GPT-NeoX / Pythia: pre-LayerNorm decoders whose attention and MLP run in parallel off two
norms (x + attn(ln₁(x)) + mlp(ln₂(x))), rotary positions on a quarter of each head, biases
everywhere, and an untied output matrix (`embed_out`)."""

from dataclasses import dataclass

from tfcli.presets._text import (
    check_attention, check_choices, check_rotary, decoder_lm, rope_parameter, rope_scaling_note, rotary,
)
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, block_spec


@dataclass
class GPTNeoXConfig(ArchConfig):
    """Pythia-160m's values."""

    vocab_size: int = 50304
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 2048
    activation: str = "gelu"
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rotary_fraction: float = 0.25  # share of each head's channels RoPE rotates
    parallel: bool = True  # use_parallel_residual
    attention_bias: bool = True
    tie_embeddings: bool = False

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        check_rotary(self.family, self.d_model // self.num_heads, self.rotary_fraction)

    def layout(self) -> Layout:
        head_dim = self.d_model // self.num_heads
        block = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps,
            qkv_bias=self.attention_bias, ffn_bias=True, causal=True, parallel=self.parallel,
        )
        return decoder_lm(self.vocab_size, block, self.num_layers, tied=self.tie_embeddings,
                          positions=rotary(head_dim, self.rope_theta, self.rotary_fraction))


def from_hf(f) -> ArchConfig:
    f.architecture_is("GPTNeoXForCausalLM")
    rope_scaling_note(f)
    d, heads = f.int("hidden_size", to="d_model"), f.int("num_attention_heads", to="num_heads")
    return GPTNeoXConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=heads,
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 2048, to="max_positions"),
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-5),
        rope_theta=rope_parameter(f, "rope_theta", "rotary_emb_base", 10000.0),
        rotary_fraction=rope_parameter(f, "partial_rotary_factor", "rotary_pct", 0.25, to="rotary_fraction"),
        parallel=f.bool("use_parallel_residual", True),
        attention_bias=f.bool("attention_bias", True),
        tie_embeddings=f.bool("tie_word_embeddings", False),
    )


def _pythia(d_model: int, num_layers: int, num_heads: int, vocab_size: int = 50304):
    return lambda: GPTNeoXConfig(vocab_size=vocab_size, d_model=d_model, num_layers=num_layers,
                                 num_heads=num_heads, ffn_dim=4 * d_model)


_REF = "transformers GPTNeoXForCausalLM (EleutherAI/{}), embed_out untied"

FAMILY = register(Family(
    "gpt_neox",
    GPTNeoXConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with parallel attention + MLP residual and partial rotary (Pythia)",
    presets=(
        Preset("pythia-160m", _pythia(768, 12, 12), params=162_322_944, macs=16_130_998_272,
               aliases=("pythia", "gpt-neox", "EleutherAI/pythia-160m", "EleutherAI/pythia-160m-deduped"),
               reference=_REF.format("pythia-160m")),
        Preset("pythia-1.4b", _pythia(2048, 24, 16), params=1_414_647_808, macs=169_480_552_448,
               aliases=("EleutherAI/pythia-1.4b", "EleutherAI/pythia-1.4b-deduped"),
               reference=_REF.format("pythia-1.4b")),
        Preset("pythia-6.9b", _pythia(4096, 32, 32, vocab_size=50432), params=6_857_302_016, macs=855_539_974_144,
               slow=True,
               aliases=("EleutherAI/pythia-6.9b", "EleutherAI/pythia-6.9b-deduped"),
               reference=_REF.format("pythia-6.9b")),
    ),
    facts=FamilyFacts(
        "GPT-NeoX / Pythia",
        Text("auto-regressive next-token prediction (causal LM) on the Pile",
             "在 Pile 语料上的自回归下一个 token 预测（因果语言模型）"),
        Text("research on training dynamics and interpretability, text generation",
             "训练动态与可解释性研究、文本生成"),
        Text(
            "a GPT-style decoder tuned for throughput: attention and MLP read the same input and are "
            "added in one residual step, and RoPE turns only a quarter of each head",
            "为吞吐量调整的 GPT 式 Decoder：attention 与 MLP 读同一个输入、在同一步残差中相加，RoPE 只旋转每个 head 的四分之一通道",
        ),
    ),
    hf_mappers={"gpt_neox": from_hf},
))
