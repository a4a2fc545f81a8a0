"""Mixtral: a Llama-style decoder (GQA, RoPE, RMSNorm) whose feed-forward is a sparse mixture
of experts: a router picks the top 2 of 8 SwiGLU experts for every token."""

from dataclasses import dataclass, replace

from tfcli.presets.llama import LlamaConfig, expect_plain_head_dim, llama_fields, note_dense_window
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, MoESpec, require


@dataclass
class MixtralConfig(LlamaConfig):
    """LlamaConfig's fields with Mixtral-8x7B's values; ffn_dim is one expert's width."""

    d_model: int = 4096
    num_kv_heads: int = 8
    ffn_dim: int = 14336
    max_positions: int = 32768
    rope_theta: float = 1_000_000.0
    num_experts: int = 8
    top_k: int = 2  # experts per token

    def check(self) -> None:
        super().check()
        require(self.top_k <= self.num_experts, self.family,
                f"'top_k' ({self.top_k}) cannot exceed 'num_experts' ({self.num_experts})")

    def layout(self) -> Layout:
        layout = super().layout()
        stack = layout["decoder"]
        moe = MoESpec(stack.block.ffn, self.num_experts, self.top_k)  # softmax, top-k, renormalised
        return layout.replace("decoder", replace(stack, block=replace(stack.block, ffn=moe)))


def from_hf(f) -> ArchConfig:
    f.architecture_is("MixtralForCausalLM")
    fields = llama_fields(f, max_positions=131072, norm_eps=1e-5, theta=1_000_000.0)
    expect_plain_head_dim(f, fields, "Mixtral")
    note_dense_window(f)
    if f.data.get("router_jitter_noise"):
        f.note("router_jitter_noise", "training-time noise on the router logits; no effect on shapes or FLOPs")
    return MixtralConfig(
        **fields,
        num_experts=f.int("num_local_experts", 8, to="num_experts"),
        top_k=f.int("num_experts_per_tok", 2, to="top_k"),
    )


_REF = "transformers MixtralForCausalLM ({})"

FAMILY = register(Family(
    "mixtral",
    MixtralConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder like Mistral whose feed-forward is a top-2-of-8 mixture of experts",
    presets=(
        Preset("mixtral-8x7b", MixtralConfig, params=46_702_792_704, macs=1_636_284_497_920, slow=True,
               aliases=("mixtral", "mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
               reference=_REF.format("mistralai/Mixtral-8x7B-v0.1; 12.9B active per token")),
        Preset("mixtral-8x22b",
               lambda: MixtralConfig(vocab_size=32768, d_model=6144, num_layers=56, num_heads=48, num_kv_heads=8,
                                     ffn_dim=16384, max_positions=65536),
               params=140_630_071_296, macs=4_998_527_975_424, slow=True,
               aliases=("mistralai/Mixtral-8x22B-v0.1",),
               reference=_REF.format("mistralai/Mixtral-8x22B-v0.1; 39.2B active per token")),
    ),
    facts=FamilyFacts(
        "Mixtral (sparse mixture of experts)",
        Text("auto-regressive next-token prediction (causal LM)", "自回归下一个 token 预测（因果语言模型）"),
        Text("chat, code, multilingual generation at the cost of a much smaller dense model",
             "对话、代码、多语言生成，单 token 计算量接近小得多的稠密模型"),
        Text(
            "a Mistral-style decoder whose every feed-forward is 8 SwiGLU experts and a router: each token runs "
            "through its 2 best experts, so it holds 47B parameters but spends the compute of about 13B",
            "与 Mistral 相同的 Decoder-only，但每层前馈网络换成 8 个 SwiGLU 专家加一个路由器：每个 token 只经过得分最高的 2 个专家，"
            "因此模型有 47B 参数，每个 token 的计算量却只相当于约 13B",
        ),
    ),
    hf_mappers={"mixtral": from_hf},
))
