"""BLOOM: a pre-LayerNorm GPT-style decoder with no position vectors at all: ALiBi adds a
per-head linear distance penalty to the attention scores. A LayerNorm right after the token
embedding, fused query_key_value with biases, GELU (tanh) MLP 4×, a tied LM head."""

from dataclasses import dataclass

from tfcli.presets._text import AlibiSpec, check_attention, check_choices, decoder_lm
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, NormSpec, block_spec


@dataclass
class BloomConfig(ArchConfig):
    """BLOOM-560m's values."""

    vocab_size: int = 250880
    d_model: int = 1024
    num_layers: int = 24
    num_heads: int = 16
    ffn_dim: int = 4096
    activation: str = "gelu_tanh"
    norm_eps: float = 1e-5
    tie_embeddings: bool = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def layout(self) -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                           norm_eps=self.norm_eps, causal=True)
        return decoder_lm(self.vocab_size, block, self.num_layers, tied=self.tie_embeddings,
                          positions=AlibiSpec(self.num_heads),
                          embed_norm=NormSpec("layer", self.d_model, self.norm_eps))


def from_hf(f) -> ArchConfig:
    f.architecture_is("BloomForCausalLM")
    f.expect("apply_residual_connection_post_layernorm", False,
             "tfcli's BLOOM adds the block input, not its normalised copy, to the residual")
    d = f.int("hidden_size", to="d_model")
    layers = "n_layer" if "n_layer" in f.data else "num_hidden_layers"
    heads = "n_head" if "n_head" in f.data else "num_attention_heads"
    return BloomConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int(layers, to="num_layers"),
        num_heads=f.int(heads, to="num_heads"),
        ffn_dim=4 * d,  # BloomMLP is always 4·d wide (n_inner is not read)
        norm_eps=f.float("layer_norm_epsilon", 1e-5),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


_REF = "transformers BloomForCausalLM (bigscience/{}), LM head tied"

FAMILY = register(Family(
    "bloom",
    BloomConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with ALiBi score biases and an embedding LayerNorm (BLOOM)",
    presets=(
        Preset("bloom-560m", BloomConfig, params=559_214_592, macs=72_376_123_392,
               aliases=("bloom", "bigscience/bloom-560m"), reference=_REF.format("bloom-560m")),
        Preset("bloom-7b1", lambda: BloomConfig(d_model=4096, num_layers=30, num_heads=32, ffn_dim=16384),
               params=7_069_016_064, macs=908_816_547_840, slow=True,
               aliases=("bigscience/bloom-7b1",), reference=_REF.format("bloom-7b1")),
    ),
    facts=FamilyFacts(
        "BLOOM",
        Text("auto-regressive next-token prediction (causal LM) on 46 natural and 13 programming languages",
             "在 46 种自然语言与 13 种编程语言上的自回归下一个 token 预测（因果语言模型）"),
        Text("multilingual text generation, few-shot prompting", "多语言文本生成、少样本提示"),
        Text(
            "a GPT-style decoder without position vectors: ALiBi penalises each score by the distance "
            "between the tokens, a fixed slope per head, which lets it read past its training length; "
            "a LayerNorm on the embeddings steadies training",
            "没有位置向量的 GPT 式 Decoder：ALiBi 依 token 间距对每个分数扣分（每个 head 一个固定斜率），可读超过训练长度；embedding 后的 LayerNorm 让训练更稳定",
        ),
    ),
    hf_mappers={"bloom": from_hf},
))
