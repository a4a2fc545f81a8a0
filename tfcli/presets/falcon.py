"""Falcon: attention and MLP in parallel (Falcon-7B: one shared LayerNorm and multi-query
attention; Falcon-40B's "new decoder architecture": grouped K/V heads and two LayerNorms,
ln_attn and ln_mlp), rotary positions, no biases, a tied LM head. Falcon-RW is sequential,
with biases and ALiBi instead of RoPE."""

import math
from dataclasses import dataclass

from tfcli.presets._text import (
    AlibiSpec, check_attention, check_choices, check_rope, decoder_lm, rope_scaling_note, rope_theta, rotary,
)
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, block_spec, require


@dataclass
class FalconConfig(ArchConfig):
    """Falcon-7B's values."""

    vocab_size: int = 65024
    d_model: int = 4544
    num_layers: int = 32
    num_heads: int = 71
    num_kv_heads: int = 1  # 1: multi-query (Falcon-7B); 8: Falcon-40B's groups
    ffn_dim: int = 18176
    max_positions: int = 2048
    activation: str = "gelu"
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    parallel: bool = True  # parallel_attn
    shared_norm: bool = True  # one LayerNorm feeds both parallel branches (num_ln_in_parallel_attn = 1)
    bias: bool = False
    alibi: bool = False  # ALiBi score biases instead of RoPE (Falcon-RW)
    tie_embeddings: bool = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads, self.num_kv_heads)
        check_choices(self.family, self.activation)
        if not self.alibi:
            check_rope(self.family, self.d_model // self.num_heads)
        require(self.parallel or not self.shared_norm, self.family,
                "'shared_norm' needs 'parallel': a sequential block has a norm per branch")

    def layout(self) -> Layout:
        head_dim = self.d_model // self.num_heads
        block = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, num_kv_heads=self.num_kv_heads, activation=self.activation,
            norm_eps=self.norm_eps, qkv_bias=self.bias, ffn_bias=self.bias, causal=True,
            parallel=self.parallel, shared_norm=self.shared_norm,
        )
        # transformers adds Falcon's ALiBi to the unscaled scores, so it is scaled by 1/√head_dim with them
        if self.alibi:
            positions = AlibiSpec(self.num_heads, 1 / math.sqrt(head_dim))
        else:
            positions = rotary(head_dim, self.rope_theta)
        return decoder_lm(self.vocab_size, block, self.num_layers, tied=self.tie_embeddings, positions=positions)


def from_hf(f) -> ArchConfig:
    f.architecture_is("FalconForCausalLM")
    f.expect("apply_residual_connection_post_layernorm", False, "tfcli's Falcon adds the block input to the residual")
    rope_scaling_note(f)
    d, heads = f.int("hidden_size", to="d_model"), f.int("num_attention_heads", to="num_heads")
    new_arch = f.bool("new_decoder_architecture", False)
    parallel = f.bool("parallel_attn", True)
    if new_arch:  # grouped K/V heads; old configs named the count n_head_kv
        kv = f.int("num_kv_heads", f.data.get("n_head_kv") or heads, to="num_kv_heads")
    else:
        kv = 1 if f.bool("multi_query", True) else heads
    norms = f.int("num_ln_in_parallel_attn", 2 if new_arch else 1, to="num_ln_in_parallel_attn")
    if parallel and norms not in (1, 2):
        raise f.fail("num_ln_in_parallel_attn", f"= {norms} is not modelled (1 or 2 LayerNorms)")
    return FalconConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=heads,
        num_kv_heads=kv,
        ffn_dim=f.int("ffn_hidden_size", 4 * d, to="ffn_dim"),  # null means 4·d
        max_positions=f.int("max_position_embeddings", 2048, to="max_positions"),
        activation=f.activation("activation", "gelu"),
        norm_eps=f.float("layer_norm_epsilon", 1e-5),
        rope_theta=rope_theta(f),
        parallel=parallel,
        shared_norm=parallel and norms == 1,
        bias=f.bool("bias", False),
        alibi=f.bool("alibi", False),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


_REF = "transformers FalconForCausalLM (tiiuae/{}), LM head tied"

FAMILY = register(Family(
    "falcon",
    FalconConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with parallel attention + MLP and multi-query / grouped K/V heads (Falcon)",
    presets=(
        Preset("falcon-7b", FalconConfig, params=6_921_720_704, macs=890_802_561_024, slow=True,
               aliases=("falcon", "tiiuae/falcon-7b", "tiiuae/falcon-7b-instruct"),
               reference=_REF.format("falcon-7b, multi-query, one LayerNorm per block")),
        Preset("falcon-40b",
               lambda: FalconConfig(d_model=8192, num_layers=60, num_heads=128, num_kv_heads=8, ffn_dim=32768,
                                    shared_norm=False),
               params=41_303_293_952, macs=5_303_308_386_304, slow=True,
               aliases=("tiiuae/falcon-40b", "tiiuae/falcon-40b-instruct"),
               reference=_REF.format("falcon-40b, new_decoder_architecture: 8 K/V groups, ln_attn + ln_mlp")),
        Preset("falcon-rw-1b",
               lambda: FalconConfig(vocab_size=50304, d_model=2048, num_layers=24, num_heads=32, num_kv_heads=32,
                                    ffn_dim=8192, parallel=False, shared_norm=False, bias=True, alibi=True),
               params=1_311_625_216, macs=169_480_552_448,
               aliases=("tiiuae/falcon-rw-1b",),
               reference=_REF.format("falcon-rw-1b, sequential blocks, biases, ALiBi")),
    ),
    facts=FamilyFacts(
        "Falcon",
        Text("auto-regressive next-token prediction (causal LM) on RefinedWeb",
             "在 RefinedWeb 语料上的自回归下一个 token 预测（因果语言模型）"),
        Text("text generation, chat (instruct variants)", "文本生成、对话（instruct 版本）"),
        Text(
            "built for fast inference: attention and MLP side by side in one residual step, and a single "
            "shared key/value head (or a few groups) so the KV cache stays small",
            "为快速推论而设计：attention 与 MLP 并排、在同一步残差中相加，且只用一个共享的 key/value head（或少数几组）让 KV cache 很小",
        ),
    ),
    hf_mappers={"falcon": from_hf},
))
