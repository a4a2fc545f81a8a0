"""DeepSeek-V2: multi-head latent attention (keys and values rebuilt from a small cached latent)
and a DeepSeekMoE feed-forward (fine-grained routed experts plus always-on shared experts),
after `first_dense` ordinary SwiGLU layers."""

from dataclasses import dataclass, replace
from typing import ClassVar

from tfcli.presets._text import RotarySpec, check_choices, decoder_lm
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (ArchConfig, BlockSpec, FeedForwardSpec, Layout, MLASpec, MoESpec, NormSpec, StackSpec,
                        divides, require)


@dataclass
class DeepseekV2Config(ArchConfig):
    """DeepSeek-V2-Lite's values; ffn_dim is the dense layers' width, moe_ffn_dim one expert's."""

    vocab_size: int = 102400
    d_model: int = 2048
    num_layers: int = 27
    num_heads: int = 16
    ffn_dim: int = 10944
    first_dense: int = 1  # first_k_dense_replace: layers before the MoE ones use a dense SwiGLU
    moe_ffn_dim: int = 1408
    num_experts: int = 64  # routed experts
    top_k: int = 6
    num_shared_experts: int = 2  # run by every token, as one FFN of num_shared_experts × moe_ffn_dim
    kv_lora_rank: int = 512
    q_lora_rank: int | None = None  # None: a plain q_proj
    qk_nope_head_dim: int = 128
    qk_rope_head_dim: int = 64
    v_head_dim: int = 128
    routed_scaling: float = 1.0
    num_groups: int = 1  # group-limited routing: experts in groups, the best topk_groups compete
    topk_groups: int = 1
    max_positions: int = 163840
    activation: str = "silu"
    norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    attention_bias: bool = False
    tie_embeddings: bool = False

    zero_ok = ("first_dense", "num_shared_experts")
    # how the router scores and weights its choice (transformers' DeepseekV2TopkRouter: softmax,
    # top-k weights not renormalised; V3: sigmoid, a correction bias to choose, renormalised)
    scoring: ClassVar[str] = "softmax"
    norm_topk: ClassVar[bool] = False
    score_bias: ClassVar[bool] = False

    def check(self) -> None:
        check_choices(self.family, self.activation)
        f = self.family
        require(self.first_dense <= self.num_layers, f,
                f"'first_dense' ({self.first_dense}) cannot exceed 'num_layers' ({self.num_layers})")
        require(self.top_k <= self.num_experts, f, f"'top_k' ({self.top_k}) cannot exceed 'num_experts' ({self.num_experts})")
        divides(f, "num_experts", self.num_experts, "num_groups", self.num_groups)
        require(self.topk_groups <= self.num_groups, f,
                f"'topk_groups' ({self.topk_groups}) cannot exceed 'num_groups' ({self.num_groups})")
        require(self.top_k <= self.topk_groups * self.num_experts // self.num_groups, f,
                f"'top_k' ({self.top_k}) experts cannot come from 'topk_groups' ({self.topk_groups}) groups")
        require(self.qk_rope_head_dim % 2 == 0, f,
                f"'qk_rope_head_dim' ({self.qk_rope_head_dim}) must be even: RoPE rotates pairs of channels")

    def attention(self) -> MLASpec:
        return MLASpec(self.d_model, self.num_heads, self.kv_lora_rank, self.qk_nope_head_dim, self.qk_rope_head_dim,
                       self.v_head_dim, self.q_lora_rank, bias=self.attention_bias)

    def ffn(self, width: int) -> FeedForwardSpec:
        return FeedForwardSpec(self.d_model, width, self.activation, gated=True, bias=False)

    def layout(self) -> Layout:
        dense = BlockSpec(attention=self.attention(), ffn=self.ffn(self.ffn_dim),
                          norm=NormSpec("rms", self.d_model, self.norm_eps, bias=False))
        shared = self.ffn(self.num_shared_experts * self.moe_ffn_dim) if self.num_shared_experts else None
        moe = replace(dense, ffn=MoESpec(
            self.ffn(self.moe_ffn_dim), self.num_experts, self.top_k, shared=shared, scoring=self.scoring,
            norm_topk=self.norm_topk, scaling=self.routed_scaling, score_bias=self.score_bias,
            num_groups=self.num_groups, topk_groups=self.topk_groups,
        ))
        layout = decoder_lm(self.vocab_size, moe, self.num_layers, tied=self.tie_embeddings,
                            positions=RotarySpec(self.qk_rope_head_dim, self.rope_theta))
        # the first `first_dense` layers keep a dense feed-forward, the rest route to experts
        layers = (dense,) * self.first_dense + (moe,) * (self.num_layers - self.first_dense)
        first = dense if self.first_dense else moe
        return layout.replace("decoder", StackSpec(first, self.num_layers, layer_blocks=layers))


def read_common(f, heads_default: int) -> dict:
    """The fields DeepSeek-V2 and V3 config.json files share, as DeepseekV2Config keyword arguments."""
    f.expect("mlp_bias", False, "tfcli's DeepSeek feed-forwards have no biases")
    heads = f.int("num_attention_heads", heads_default, to="num_heads")
    f.expect("num_key_value_heads", heads, "latent attention rebuilds K and V for every query head")
    if f.data.get("moe_layer_freq") not in (None, 1):
        f.note("moe_layer_freq", "ignored, as transformers ignores it: every layer from first_k_dense_replace on is MoE")
    rope = f.data.get("rope_parameters") or f.data.get("rope_scaling")
    if isinstance(rope, dict) and rope.get("rope_type", rope.get("type", "default")) != "default":
        f.notes.append(f"rope scaling ({rope.get('rope_type', rope.get('type'))}) changes positions and the score "
                       "scale, not shapes or FLOPs")
    q_lora = f.data.get("q_lora_rank")
    theta = f.data.get("rope_parameters", {}).get("rope_theta") if isinstance(f.data.get("rope_parameters"), dict) else None
    return dict(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("hidden_size", to="d_model"),
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=heads,
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        first_dense=f.int("first_k_dense_replace", 0, to="first_dense", zero_ok=True),
        moe_ffn_dim=f.int("moe_intermediate_size", to="moe_ffn_dim"),
        num_experts=f.int("n_routed_experts", to="num_experts"),
        top_k=f.int("num_experts_per_tok", to="top_k"),
        num_shared_experts=f.int("n_shared_experts", 0, to="num_shared_experts", zero_ok=True),
        kv_lora_rank=f.int("kv_lora_rank", to="kv_lora_rank"),
        q_lora_rank=None if q_lora is None else f.int("q_lora_rank", to="q_lora_rank"),
        qk_nope_head_dim=f.int("qk_nope_head_dim", to="qk_nope_head_dim"),
        qk_rope_head_dim=f.int("qk_rope_head_dim", to="qk_rope_head_dim"),
        v_head_dim=f.int("v_head_dim", to="v_head_dim"),
        routed_scaling=f.float("routed_scaling_factor", 1.0, to="routed_scaling"),
        max_positions=f.int("max_position_embeddings", 2048, to="max_positions"),
        activation=f.activation("hidden_act", "silu"),
        norm_eps=f.float("rms_norm_eps", 1e-6),
        rope_theta=float(theta) if theta else f.float("rope_theta", 10000.0),
        attention_bias=f.bool("attention_bias", False),
        tie_embeddings=f.bool("tie_word_embeddings", False),
    )


def from_hf(f) -> ArchConfig:
    f.architecture_is("DeepseekV2ForCausalLM")
    values = read_common(f, 32)
    method = f.data.get("topk_method") or "greedy"
    if method not in ("greedy", "group_limited_greedy"):
        raise f.fail("topk_method", f"= {method!r} is not modelled (transformers' DeepseekV2 routes greedy or "
                                    "group_limited_greedy)")
    if method == "group_limited_greedy":
        values.update(num_groups=f.int("n_group", to="num_groups"), topk_groups=f.int("topk_group", to="topk_groups"))
    if f.data.get("scoring_func") not in (None, "softmax"):
        f.note("scoring_func", "ignored, as transformers' DeepseekV2 router always scores with softmax")
    if f.data.get("norm_topk_prob"):
        f.note("norm_topk_prob", "ignored, as transformers' DeepseekV2 router does not renormalise the top-k weights")
    return DeepseekV2Config(**values)


_REF = "transformers DeepseekV2ForCausalLM ({})"

FAMILY = register(Family(
    "deepseek_v2",
    DeepseekV2Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with multi-head latent attention and shared + routed experts (DeepSeek-V2)",
    presets=(
        Preset("deepseek-v2-lite", DeepseekV2Config, params=15_706_484_224, macs=316_113_354_752, slow=True,
               aliases=("deepseek-v2", "deepseek-ai/DeepSeek-V2-Lite", "deepseek-ai/DeepSeek-V2-Lite-Chat"),
               reference=_REF.format("deepseek-ai/DeepSeek-V2-Lite; 2.7B active per token")),
    ),
    facts=FamilyFacts(
        "DeepSeek-V2",
        Text("auto-regressive next-token prediction (causal LM), then SFT and RL",
             "自回归下一个 token 预测（因果语言模型），之后监督微调与强化学习"),
        Text("chat, code, maths, long-context generation at a low inference cost",
             "对话、代码、数学、长上下文生成，推理成本低"),
        Text(
            "multi-head latent attention caches one compressed latent per token instead of every head's K and V "
            "(a far smaller KV cache), and DeepSeekMoE splits the feed-forward into many small routed experts plus "
            "shared ones every token uses, so only a fraction of the parameters runs per token",
            "多头潜在注意力（MLA）每个 token 只缓存一个压缩潜向量，而非每个头的 K 和 V（KV cache 小得多）；DeepSeekMoE 把前馈网络拆成许多小的"
            "路由专家和所有 token 共用的共享专家，每个 token 只用到一小部分参数",
        ),
    ),
    hf_mappers={"deepseek_v2": from_hf},
))
