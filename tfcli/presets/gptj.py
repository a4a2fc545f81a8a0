"""GPT-J: attention and MLP in parallel off ONE shared LayerNorm (x + attn(ln(x)) + mlp(ln(x))),
rotary positions on the first 64 channels of each 256-channel head with adjacent channels paired
(rotate-every-two), no biases in attention, biases in the MLP, and an untied LM head with a bias."""

from dataclasses import dataclass

from tfcli.presets._text import RotarySpec, check_attention, check_choices, decoder_lm
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, block_spec, require


@dataclass
class GPTJConfig(ArchConfig):
    """GPT-J-6B's values."""

    vocab_size: int = 50400
    d_model: int = 4096
    num_layers: int = 28
    num_heads: int = 16
    ffn_dim: int = 16384
    max_positions: int = 2048
    activation: str = "gelu_tanh"
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rotary_dim: int = 64  # channels of each head RoPE turns; 0: the whole head
    tie_embeddings: bool = False

    zero_ok = ("rotary_dim",)

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        head_dim = self.d_model // self.num_heads
        dims = self.rotary_dim or head_dim
        require(dims % 2 == 0 and dims <= head_dim, self.family,
                f"'rotary_dim' ({self.rotary_dim}) must be even and at most the head size {head_dim}: "
                "RoPE rotates pairs of a head's channels")

    def layout(self) -> Layout:
        head_dim = self.d_model // self.num_heads
        block = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps,
            qkv_bias=False, ffn_bias=True, causal=True, parallel=True, shared_norm=True,
        )
        partial = self.rotary_dim if 0 < self.rotary_dim < head_dim else None
        return decoder_lm(self.vocab_size, block, self.num_layers, tied=self.tie_embeddings, head_bias=True,
                          positions=RotarySpec(head_dim, self.rope_theta, rotary_dim=partial, interleaved=True))


def from_hf(f) -> ArchConfig:
    f.architecture_is("GPTJForCausalLM")
    d = f.int("n_embd", to="d_model")
    return GPTJConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("n_layer", to="num_layers"),
        num_heads=f.int("n_head", to="num_heads"),
        ffn_dim=f.int("n_inner", 4 * d, to="ffn_dim"),  # null means 4·d
        max_positions=f.int("n_positions", 2048, to="max_positions"),
        activation=f.activation("activation_function", "gelu_new"),
        norm_eps=f.float("layer_norm_epsilon", 1e-5),
        rotary_dim=f.int("rotary_dim", 0, to="rotary_dim", zero_ok=True),  # null: the whole head
        tie_embeddings=f.bool("tie_word_embeddings", False),
    )


FAMILY = register(Family(
    "gptj",
    GPTJConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with parallel attention + MLP off one LayerNorm, partial interleaved rotary (GPT-J)",
    presets=(
        Preset("gpt-j-6b", GPTJConfig, params=6_050_882_784, macs=751_812_739_072, slow=True,
               aliases=("gptj", "gpt-j", "EleutherAI/gpt-j-6b", "EleutherAI/gpt-j-6B"),
               reference="transformers GPTJForCausalLM (EleutherAI/gpt-j-6b), LM head untied with a bias"),
    ),
    facts=FamilyFacts(
        "GPT-J",
        Text("auto-regressive next-token prediction (causal LM) on the Pile",
             "在 Pile 语料上的自回归下一个 token 预测（因果语言模型）"),
        Text("text and code generation, a base for fine-tuning", "文本与代码生成、微调的基础模型"),
        Text(
            "the first open 6B GPT-3-class decoder: attention and MLP side by side off one LayerNorm "
            "(fewer sequential steps on TPUs), RoPE on a quarter of each head",
            "第一个开放的 6B GPT-3 级 Decoder：attention 与 MLP 并排共用一个 LayerNorm（在 TPU 上少一个串行步骤），RoPE 只用在每个 head 的四分之一通道",
        ),
    ),
    hf_mappers={"gptj": from_hf},
))
