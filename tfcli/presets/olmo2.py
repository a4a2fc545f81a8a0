"""OLMo 2: a Llama-style decoder whose norms sit after each branch, x + norm(f(x)), not before it,
with queries and keys RMS-normed over their whole projection width before RoPE."""

from dataclasses import dataclass, replace

from tfcli.presets._text import rope_scaling_note
from tfcli.presets.llama import LlamaConfig, head_dim, llama_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, NormSpec, StackSpec


@dataclass
class Olmo2Config(LlamaConfig):
    """LlamaConfig's fields with OLMo-2-1124-7B's values."""

    vocab_size: int = 100352
    max_positions: int = 4096
    norm_eps: float = 1e-6
    rope_theta: float = 500000.0

    def block(self) -> BlockSpec:
        block = super().block()
        width = block.attention.q_dim  # the whole projection (keys: their own width)
        attention = replace(block.attention, qk_norm=NormSpec("rms", width, self.norm_eps, bias=False))
        return replace(block, attention=attention, pre_norm=False, branch_post_norm=True)

    def stack(self) -> StackSpec:
        return StackSpec(self.block(), self.num_layers, final_norm=True)  # post-norm blocks, yet a final norm


def from_hf(f) -> ArchConfig:
    f.architecture_is("Olmo2ForCausalLM")
    f.expect("attention_bias", False, "tfcli's OLMo 2 has no biases")
    rope_scaling_note(f)
    fields = llama_fields(f, max_positions=4096)
    return Olmo2Config(**fields, head_dim=head_dim(f, fields["d_model"], fields["num_heads"]))


FAMILY = register(Family(
    "olmo2",
    Olmo2Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Llama with norms after each branch and whole-width q/k RMSNorm (OLMo 2)",
    presets=(
        Preset("olmo2-7b", Olmo2Config, params=7_298_617_344, macs=886_175_170_560, slow=True,
               aliases=("olmo2", "OLMo-2-1124-7B", "allenai/OLMo-2-1124-7B", "allenai/OLMo-2-1124-7B-Instruct"),
               reference="transformers Olmo2ForCausalLM (allenai/OLMo-2-1124-7B)"),
    ),
    facts=FamilyFacts(
        "OLMo 2",
        Text("auto-regressive next-token prediction (causal LM), fully open data and training code",
             "自回归下一个 token 预测（因果语言模型），数据与训练程序完全公开"),
        Text("research on language-model training, chat, general generation", "语言模型训练研究、对话、通用生成"),
        Text(
            "a Llama-style decoder that norms each branch's output before the residual add (x + norm(f(x))) and "
            "RMS-normalises the whole query and key projections, both for stabler training",
            "与 Llama 相同的 Decoder-only 结构，但在残差相加前对每个分支的输出做 norm（x + norm(f(x))），"
            "并对整个 Q、K 投影做 RMSNorm，两者都为了训练更稳定",
        ),
    ),
    hf_mappers={"olmo2": from_hf},
))
