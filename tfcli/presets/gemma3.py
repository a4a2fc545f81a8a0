"""Gemma 3 (text): Gemma 2's sandwich-normed decoder with per-head q/k RMSNorm instead of soft-capping,
five sliding-window layers to each global one, and a RoPE base of its own for the local layers."""

from dataclasses import dataclass, replace

from tfcli.presets.gemma2 import Gemma2Config, gemma2_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, NormSpec


@dataclass
class Gemma3Config(Gemma2Config):
    """Gemma2Config's fields with gemma-3-1b-pt's values, plus the local layers' RoPE base."""

    vocab_size: int = 262144
    d_model: int = 1152
    num_layers: int = 26
    num_heads: int = 4
    num_kv_heads: int = 1
    ffn_dim: int = 6912
    max_positions: int = 32768
    rope_theta: float = 1_000_000.0  # the global layers'
    sliding_window: int = 512
    sliding_window_pattern: int = 6
    attn_softcap: float = 0.0
    final_softcap: float = 0.0
    local_rope_theta: float = 10000.0  # the sliding-window layers'

    def block(self) -> BlockSpec:
        block = super().block()
        qk_norm = NormSpec("rms", self.head_size, self.norm_eps, bias=False, unit_offset=True)
        return replace(block, attention=replace(block.attention, qk_norm=qk_norm))

    def local_block(self, block: BlockSpec) -> BlockSpec:
        local = super().local_block(block)
        return replace(local, attention=replace(local.attention, rope_theta=self.local_rope_theta))


def rope_bases(f) -> dict:
    """The global and local RoPE bases: transformers 5's rope_parameters per layer type, or the 4.x fields."""
    rope = f.data.get("rope_parameters")
    if isinstance(rope, dict) and isinstance(rope.get("full_attention"), dict):
        full, local = rope.get("full_attention") or {}, rope.get("sliding_attention") or {}
        return dict(rope_theta=float(full.get("rope_theta", 1e6)), local_rope_theta=float(local.get("rope_theta", 1e4)))
    return dict(rope_theta=f.float("rope_theta", 1e6), local_rope_theta=f.float("rope_local_base_freq", 1e4))


def from_hf(f) -> ArchConfig:
    f.architecture_is("Gemma3ForCausalLM")
    fields = gemma2_fields(f, 6, (None, None))
    return Gemma3Config(**{**fields, **rope_bases(f)})


FAMILY = register(Family(
    "gemma3",
    Gemma3Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="Gemma 3 text decoder: q/k norms, sandwich norms, 5 sliding-window layers per global one",
    presets=(
        Preset("gemma3-1b", Gemma3Config, params=999_885_952, macs=128_939_343_872,
               aliases=("gemma3", "gemma-3-1b-pt", "google/gemma-3-1b-pt", "google/gemma-3-1b-it"),
               reference="transformers Gemma3ForCausalLM (google/gemma-3-1b-pt, LM head tied)"),
    ),
    facts=FamilyFacts(
        "Gemma 3 (text)",
        Text("auto-regressive next-token prediction (causal LM), distilled from a larger teacher",
             "自回归下一个 token 预测（因果语言模型），由较大的教师模型蒸馏"),
        Text("chat, question answering, long-context and on-device generation", "对话、问答、长文本与设备端生成"),
        Text(
            "Gemma 2's sandwich-normed decoder, with per-head q/k RMSNorm in place of soft-capping and five "
            "local (512-token sliding window, RoPE base 10k) layers for every global one (RoPE base 1M), so "
            "the long-context KV cache is mostly windows",
            "沿用 Gemma 2 的三明治 norm 结构，以每个头的 Q/K RMSNorm 取代软上限；每 6 层中 5 层为局部层"
            "（512 token 滑动窗口，RoPE 基数 1 万），1 层为全域层（RoPE 基数 100 万），长文本的 KV cache 大多只存窗口",
        ),
    ),
    hf_mappers={"gemma3_text": from_hf},
))
