"""Qwen2 / Qwen2.5: Llama-style decoders (GQA, RoPE, RMSNorm, SwiGLU) whose Q, K and V
projections carry biases and whose output projection does not; the small ones tie the LM head."""

from dataclasses import dataclass

from tfcli.presets.llama import LlamaConfig, llama_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig


@dataclass
class Qwen2Config(LlamaConfig):
    """LlamaConfig's fields with Qwen2.5-0.5B's values; Q, K and V carry biases."""

    vocab_size: int = 151936
    d_model: int = 896
    num_layers: int = 24
    num_heads: int = 14
    num_kv_heads: int = 2
    ffn_dim: int = 4864
    max_positions: int = 32768
    norm_eps: float = 1e-6
    rope_theta: float = 1_000_000.0
    tie_embeddings: bool = True

    qkv_bias = True


def from_hf(f) -> ArchConfig:
    f.architecture_is("Qwen2ForCausalLM")
    if f.data.get("use_sliding_window"):
        raise f.fail("use_sliding_window", "= true is not modelled yet (tfcli builds dense attention)")
    f.expect("use_mrope", False, "multimodal RoPE (Qwen2-VL) is not modelled")
    return Qwen2Config(**llama_fields(f, max_positions=32768))


_REF = "transformers Qwen2ForCausalLM ({})"

FAMILY = register(Family(
    "qwen2",
    Qwen2Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Llama, with Q/K/V biases (Qwen2, Qwen2.5)",
    presets=(
        Preset("qwen2.5-0.5b", Qwen2Config, params=494_032_768, macs=63_959_777_280,
               aliases=("qwen2.5", "qwen2", "Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B-Instruct"),
               reference=_REF.format("Qwen/Qwen2.5-0.5B, LM head tied")),
        Preset("qwen2.5-7b",
               lambda: Qwen2Config(vocab_size=152064, d_model=3584, num_layers=28, num_heads=28, num_kv_heads=4,
                                   ffn_dim=18944, max_positions=131072, tie_embeddings=False),
               params=7_615_616_512, macs=908_415_664_128, slow=True,
               aliases=("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"),
               reference=_REF.format("Qwen/Qwen2.5-7B")),
    ),
    facts=FamilyFacts(
        "Qwen2 / Qwen2.5",
        Text("auto-regressive next-token prediction (causal LM), then instruction tuning",
             "自回归下一个 token 预测（因果语言模型），之后指令微调"),
        Text("chat, multilingual generation, code, maths", "对话、多语言生成、代码、数学"),
        Text(
            "a Llama-style decoder (RoPE, RMSNorm, SwiGLU, grouped K/V heads for a small KV cache) "
            "whose query/key/value projections keep biases",
            "与 Llama 相同的 Decoder-only 结构（RoPE、RMSNorm、SwiGLU、分组 K/V 头以缩小 KV cache），但 Q/K/V 投影保留偏置",
        ),
    ),
    hf_mappers={"qwen2": from_hf},
))
