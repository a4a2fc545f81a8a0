"""Mixtral and DeepSeek-V2/V3 against transformers, on small configs made from the fixtures.

    /work/refvenv/bin/python benchmarks/moe_reference.py

Run by a venv with transformers (5.24 here), tfcli imported from this checkout. Three checks:

1. parameters: transformers' class (architectures[0]) against tfcli's count of the same file;
2. MACs: FlopCounterMode on transformers' model run on CPU (eager attention, eager experts:
   transformers' default grouped_mm experts and its CPU SDPA kernel are invisible to the
   counter), real routing, against tfcli's closed form less its norms (FlopCounterMode counts none);
3. outputs: tfcli's MoE and MLAttention loaded with transformers' weights give the same output
   as MixtralSparseMoeBlock / DeepseekV2Moe / DeepseekV3MoE / DeepseekV3Attention.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import transformers
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tfcli.blocks.mla import MLAttention  # noqa: E402
from tfcli.blocks.moe import MoE  # noqa: E402
from tfcli.hf_config import config_from_hf  # noqa: E402
from tfcli.spec import InputShape  # noqa: E402

DATA = ROOT / "tests" / "data" / "hf"
SMALL = dict(hidden_size=64, intermediate_size=96, num_attention_heads=4, vocab_size=101)
MLA = dict(num_key_value_heads=4, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=4, v_head_dim=8,
           moe_intermediate_size=24)
CASES = {
    "mixtral": ("mixtral-8x7b.json", dict(SMALL, num_hidden_layers=2, num_key_value_heads=2, num_local_experts=6)),
    "deepseek-v2": ("deepseek-v2-lite.json", dict(SMALL, **MLA, num_hidden_layers=3, n_routed_experts=8,
                                                  num_experts_per_tok=3, routed_scaling_factor=1.5)),
    "deepseek-v2 grouped": ("deepseek-v2-lite.json", dict(SMALL, **MLA, num_hidden_layers=3, n_routed_experts=8,
                                                          num_experts_per_tok=3, topk_method="group_limited_greedy",
                                                          n_group=4, topk_group=2, q_lora_rank=24)),
    "deepseek-v3": ("deepseek-v3.json", dict(SMALL, **MLA, num_hidden_layers=4, first_k_dense_replace=1,
                                             n_routed_experts=16, n_group=4, topk_group=2, num_experts_per_tok=4,
                                             q_lora_rank=24, rope_interleave=False)),
}


def load(file: str, changes: dict) -> tuple[dict, object]:
    data = json.loads((DATA / file).read_text())
    data.update(changes)
    data.pop("rope_scaling", None)
    data.update(bos_token_id=0, eos_token_id=1)
    cfg = transformers.AutoConfig.for_model(**data)
    cfg._attn_implementation, cfg._experts_implementation = "eager", "eager"
    return data, cfg


def randomise(module) -> None:
    for p in module.parameters():
        torch.nn.init.normal_(p, std=0.3)
    for name, b in module.named_buffers():
        if "bias" in name:
            torch.nn.init.normal_(b, std=0.3)


def moe_weights(hf, ours: MoE) -> dict:
    sd = {"router.weight": hf.gate.weight, "experts.fc1": hf.experts.gate_up_proj, "experts.fc2": hf.experts.down_proj}
    if getattr(hf, "shared_experts", None) is not None:
        s = hf.shared_experts
        sd["shared.fc1.weight"] = torch.cat([s.gate_proj.weight, s.up_proj.weight])  # gate, then value
        sd["shared.fc2.weight"] = s.down_proj.weight
    if ours.score_bias is not None:
        sd["score_bias"] = hf.gate.e_score_correction_bias
    return sd


def main() -> int:
    torch.manual_seed(0)
    bad = 0
    batch, seq = 2, 9
    for name, (file, changes) in CASES.items():
        data, cfg = load(file, changes)
        model = getattr(transformers, data["architectures"][0])(cfg).eval()
        randomise(model)
        ours = config_from_hf(data, file)
        n_hf = sum(p.numel() for p in model.parameters())
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            model(input_ids=torch.randint(0, 101, (batch, seq)))
        macs = ours.macs(ours.resolve_input(InputShape(batch=batch, seq_len=seq)))
        closed = macs.total() - macs.macs["norms"]
        # one MoE layer and one attention, with transformers' weights
        layer = model.model.layers[-1]
        moe = MoE(ours.layout()["decoder"].block.ffn)
        moe.load_state_dict(moe_weights(layer.mlp, moe))
        x = torch.randn(batch, seq, cfg.hidden_size)
        with torch.no_grad():
            out = layer.mlp(x)
            moe_diff = (moe(x) - (out[0] if isinstance(out, tuple) else out)).abs().max().item()
        attn_diff = None
        if hasattr(layer.self_attn, "kv_b_proj") and name == "deepseek-v3":
            a, hf_a = MLAttention(ours.layout()["decoder"].block.attention), layer.self_attn
            a.load_state_dict({"q_a_proj.weight": hf_a.q_a_proj.weight, "q_a_norm.weight": hf_a.q_a_layernorm.weight,
                               "q_b_proj.weight": hf_a.q_b_proj.weight, "kv_a_proj.weight": hf_a.kv_a_proj_with_mqa.weight,
                               "kv_a_norm.weight": hf_a.kv_a_layernorm.weight, "kv_b_proj.weight": hf_a.kv_b_proj.weight,
                               "out.weight": hf_a.o_proj.weight})
            a.q_a_norm.eps, a.kv_a_norm.eps = hf_a.q_a_layernorm.variance_epsilon, hf_a.kv_a_layernorm.variance_epsilon
            pos = torch.arange(seq)[None].expand(batch, seq)
            cos, sin = model.model.rotary_emb(x, pos)
            mask = torch.full((seq, seq), float("-inf")).triu(1)[None, None]
            with torch.no_grad():
                attn_diff = (a(x, rope=(cos[0], sin[0])) - hf_a(x, (cos, sin), mask)[0]).abs().max().item()
        ok = n_hf == ours.num_params() and counter.get_total_flops() // 2 == closed and moe_diff < 1e-4 \
            and (attn_diff is None or attn_diff < 1e-4)
        bad += not ok
        print(f"{name:20} params {n_hf:,} / {ours.num_params():,}   matmul MACs {counter.get_total_flops() // 2:,} / "
              f"{closed:,}   MoE max|diff| {moe_diff:.1e}" + (f"   MLA max|diff| {attn_diff:.1e}" if attn_diff is not None
                                                               else "") + ("" if ok else "   MISMATCH"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
