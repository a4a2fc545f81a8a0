"""Llama-style decoders: pre-RMSNorm, RoPE, SwiGLU, grouped-query attention, no biases."""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, require


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

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads, self.num_kv_heads)
        check_choices(self.family, self.activation)
        head_dim = self.d_model // self.num_heads
        require(
            head_dim % 2 == 0,
            self.family,
            f"the head size 'd_model'/'num_heads' ({head_dim}) must be even: RoPE rotates pairs of channels",
        )

    def num_params(self) -> int:
        d, head_dim = self.d_model, self.d_model // self.num_heads
        layer = (
            attention(d, d, bias=False, kv_inner=self.num_kv_heads * head_dim)
            + feed_forward(d, self.ffn_dim, bias=False, gated=True)
            + 2 * d  # two RMSNorm scales
        )
        head = 0 if self.tie_embeddings else self.vocab_size * d
        return self.vocab_size * d + self.num_layers * layer + d + head


register_family(
    "llama",
    LlamaConfig,
    builder="tfcli.models.llama:LlamaModel",
    kind="decoder-only",
    modality="text",
    description="causal decoder with RoPE, RMSNorm, SwiGLU and grouped-query attention",
)
_REF = "transformers LlamaForCausalLM ({})"
register_preset("llama2-7b", "llama", LlamaConfig, aliases=("llama", "llama2", "meta-llama/Llama-2-7b-hf"), reference=_REF.format("Llama-2-7b-hf"))
register_preset(
    "llama2-70b", "llama",
    lambda: LlamaConfig(d_model=8192, num_layers=80, num_heads=64, num_kv_heads=8, ffn_dim=28672),
    aliases=("meta-llama/Llama-2-70b-hf",),
    reference=_REF.format("Llama-2-70b-hf, GQA with 8 key/value heads"),
)
register_preset(
    "tinyllama-1.1b", "llama",
    lambda: LlamaConfig(d_model=2048, num_layers=22, num_heads=32, num_kv_heads=4, ffn_dim=5632, max_positions=2048),
    aliases=("tinyllama", "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", "TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
    reference=_REF.format("TinyLlama-1.1B"),
)
