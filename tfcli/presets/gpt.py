"""GPT: a decoder-only stack with causal self-attention (GPT-2, GPT-3; the ChatGPT line)."""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm, linear
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig


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

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def num_params(self) -> int:
        d = self.d_model
        embeddings = (self.vocab_size + self.max_positions) * d
        layer = attention(d, d) + feed_forward(d, self.ffn_dim) + 2 * layer_norm(d)
        head = 0 if self.tie_embeddings else linear(d, self.vocab_size, bias=False)
        return embeddings + self.num_layers * layer + layer_norm(d) + head


register_family(
    "gpt",
    GPTConfig,
    builder="tfcli.models.gpt:GPTModel",
    kind="decoder-only",
    modality="text",
    description="causal decoder, next-token (auto-regressive) pre-training",
)


def _gpt2(d_model: int, num_layers: int, num_heads: int) -> GPTConfig:
    return GPTConfig(d_model=d_model, num_layers=num_layers, num_heads=num_heads, ffn_dim=4 * d_model)


_REF = "transformers GPT2LMHeadModel ({}), LM head tied"
register_preset("gpt2", "gpt", lambda: _gpt2(768, 12, 12), aliases=("gpt", "gpt2-small", "openai-community/gpt2"), reference=_REF.format("gpt2"))
register_preset("gpt2-medium", "gpt", lambda: _gpt2(1024, 24, 16), aliases=("openai-community/gpt2-medium",), reference=_REF.format("gpt2-medium"))
register_preset("gpt2-large", "gpt", lambda: _gpt2(1280, 36, 20), aliases=("openai-community/gpt2-large",), reference=_REF.format("gpt2-large"))
register_preset("gpt2-xl", "gpt", lambda: _gpt2(1600, 48, 25), aliases=("openai-community/gpt2-xl",), reference=_REF.format("gpt2-xl"))
register_preset(
    "gpt3-175b", "gpt",
    lambda: GPTConfig(d_model=12288, num_layers=96, num_heads=96, ffn_dim=4 * 12288, max_positions=2048),
    aliases=("gpt3", "gpt-3", "davinci"),
    reference="GPT-3 paper (Brown et al. 2020) dims in transformers GPT2LMHeadModel; dense attention",
)
