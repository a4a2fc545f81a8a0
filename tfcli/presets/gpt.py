"""GPT: a decoder-only stack with causal self-attention (GPT-2, GPT-3; the ChatGPT line)."""

from dataclasses import dataclass

from tfcli.presets._text import check_attention, check_choices, decoder_lm
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, Table, block_spec


@dataclass
class GPTConfig(ArchConfig):
    vocab_size: int = 50257
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 1024
    activation: str = "gelu_tanh"
    norm_eps: float = 1e-5
    tie_embeddings: bool = True

    learned_positions = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def layout(self) -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                           norm_eps=self.norm_eps, causal=True)
        return decoder_lm(self.vocab_size, block, self.num_layers, tied=self.tie_embeddings,
                          positions=Table(self.max_positions, self.d_model, lookup="positions"))


def from_hf(f) -> ArchConfig:
    f.expect("add_cross_attention", False, "tfcli's GPT is decoder-only")
    f.architecture_is("GPT2LMHeadModel")
    d = f.int("n_embd", to="d_model")
    return GPTConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("n_layer", to="num_layers"),
        num_heads=f.int("n_head", to="num_heads"),
        ffn_dim=f.int("n_inner", 4 * d, to="ffn_dim"),  # null means 4·d
        max_positions=f.int("n_positions", 1024, to="max_positions"),
        activation=f.activation("activation_function", "gelu_new"),
        norm_eps=f.float("layer_norm_epsilon", 1e-5),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


def _gpt2(d_model: int, num_layers: int, num_heads: int):
    return lambda: GPTConfig(d_model=d_model, num_layers=num_layers, num_heads=num_heads, ffn_dim=4 * d_model)


_REF = "transformers GPT2LMHeadModel ({}), LM head tied"

FAMILY = register(Family(
    "gpt",
    GPTConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder, next-token (auto-regressive) pre-training",
    presets=(
        Preset("gpt2", _gpt2(768, 12, 12), params=124_439_808, macs=16_126_377_984,
               aliases=("gpt", "gpt2-small", "openai-community/gpt2"), reference=_REF.format("gpt2")),
        Preset("gpt2-medium", _gpt2(1024, 24, 16), params=354_823_168, macs=46_079_410_176,
               aliases=("openai-community/gpt2-medium",), reference=_REF.format("gpt2-medium")),
        Preset("gpt2-large", _gpt2(1280, 36, 20), params=774_030_080, macs=100_400_824_320,
               aliases=("openai-community/gpt2-large",), reference=_REF.format("gpt2-large")),
        Preset("gpt2-xl", _gpt2(1600, 48, 25), params=1_557_611_200, macs=201_652_224_000,
               aliases=("openai-community/gpt2-xl",), reference=_REF.format("gpt2-xl")),
        Preset("gpt3-175b",
               lambda: GPTConfig(d_model=12288, num_layers=96, num_heads=96, ffn_dim=4 * 12288, max_positions=2048),
               params=174_604_259_328, macs=22_384_330_407_936, slow=True,
               aliases=("gpt3", "gpt-3", "davinci"),
               reference="GPT-3 paper (Brown et al. 2020) dims in transformers GPT2LMHeadModel; dense attention"),
    ),
    facts=FamilyFacts(
            "GPT-2 / GPT-3",
            Text("auto-regressive next-token prediction (causal LM)", "自回归下一个 token 预测（因果语言模型）"),
            Text("text generation, completion, few-shot prompting, chat", "文本生成、续写、少样本提示、对话"),
            Text(
                "generation: each token is predicted from the ones before it, so a causally masked "
                "decoder is all it needs; there is no separate input to encode",
                "生成任务：每个 token 只根据前文预测，因此只需要带因果遮罩的 Decoder；没有另外需要编码的输入",
            ),
        ),
    hf_mappers={"gpt2": from_hf},
))
