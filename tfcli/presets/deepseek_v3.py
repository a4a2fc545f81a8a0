"""DeepSeek-V3 (and R1): DeepSeek-V2's design at 671B, with a sigmoid router whose choice is
steered by a per-expert bias (auxiliary-loss-free balancing) and renormalised top-k weights.
The multi-token-prediction layers of the checkpoint are not part of transformers'
DeepseekV3ForCausalLM, and not of tfcli's either."""

from dataclasses import dataclass

from tfcli.presets.deepseek_v2 import DeepseekV2Config, read_common
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig


@dataclass
class DeepseekV3Config(DeepseekV2Config):
    """DeepSeek-V3's values."""

    vocab_size: int = 129280
    d_model: int = 7168
    num_layers: int = 61
    num_heads: int = 128
    ffn_dim: int = 18432
    first_dense: int = 3
    moe_ffn_dim: int = 2048
    num_experts: int = 256
    top_k: int = 8
    num_shared_experts: int = 1
    q_lora_rank: int | None = 1536
    routed_scaling: float = 2.5
    num_groups: int = 8
    topk_groups: int = 4

    scoring = "sigmoid"
    norm_topk = True
    score_bias = True  # e_score_correction_bias: a buffer, no parameters


def from_hf(f) -> ArchConfig:
    f.architecture_is("DeepseekV3ForCausalLM")
    f.expect("topk_method", "noaux_tc", "transformers' DeepseekV3 routes with sigmoid scores and a correction bias")
    f.expect("scoring_func", "sigmoid", "transformers' DeepseekV3 router scores with a sigmoid")
    f.expect("norm_topk_prob", True, "tfcli's DeepseekV3 router renormalises the top-k weights")
    for field in ("num_nextn_predict_layers", "num_mtp_layers"):
        if f.data.get(field):
            f.note(field, "the multi-token-prediction layers are not built (transformers' DeepseekV3ForCausalLM "
                          "leaves them out too); parameters and FLOPs are the main model's")
    values = read_common(f, 128)
    values.update(num_groups=f.int("n_group", 1, to="num_groups"), topk_groups=f.int("topk_group", 1, to="topk_groups"))
    return DeepseekV3Config(**values)


FAMILY = register(Family(
    "deepseek_v3",
    DeepseekV3Config,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="DeepSeek-V2's latent attention and experts at 671B, sigmoid router with bias balancing",
    presets=(
        Preset("deepseek-v3", DeepseekV3Config, params=671_026_404_352, macs=4_729_529_040_896, slow=True,
               aliases=("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3-Base", "deepseek-ai/DeepSeek-R1",
                        "deepseek-r1"),
               reference="transformers DeepseekV3ForCausalLM (deepseek-ai/DeepSeek-V3, without the MTP layers; "
                         "37.5B active per token)"),
    ),
    facts=FamilyFacts(
        "DeepSeek-V3 / R1",
        Text("auto-regressive next-token prediction with a multi-token-prediction objective, then SFT and RL (R1)",
             "自回归下一个 token 预测加多 token 预测目标，之后监督微调与强化学习（R1）"),
        Text("chat, reasoning, code, maths", "对话、推理、代码、数学"),
        Text(
            "DeepSeek-V2's latent attention (small KV cache) and fine-grained experts, scaled to 256 routed experts "
            "per layer of which 8 run per token; a sigmoid router balanced by a learned bias instead of an auxiliary loss",
            "沿用 DeepSeek-V2 的潜在注意力（KV cache 小）和细粒度专家，扩展到每层 256 个路由专家、每个 token 用 8 个；"
            "sigmoid 路由器以偏置而非辅助损失做负载均衡",
        ),
    ),
    hf_mappers={"deepseek_v3": from_hf},
))
