"""Hypothesis draws small configs for every family: each either builds, runs forward on a
tiny input and has exactly its closed-form parameter count, or is rejected with one line."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.errors import SpecError
from tfcli.catalog import families
from tfcli.spec import InputShape, config_from_dict

small = st.integers(min_value=1, max_value=4)
width = st.sampled_from([8, 12, 16, 24, 32])
heads = st.sampled_from([1, 2, 3, 4, 8])
act = st.sampled_from(["relu", "gelu", "gelu_tanh", "quick_gelu", "silu"])

TEXT = dict(vocab_size=st.integers(8, 64), d_model=width, num_layers=small, num_heads=heads,
            ffn_dim=st.integers(4, 48), activation=act)
ENC_DEC = dict(TEXT, num_decoder_layers=small)

STRATEGIES = {
    "transformer": st.fixed_dictionaries(ENC_DEC),
    "bert": st.fixed_dictionaries(dict(TEXT, max_positions=st.integers(8, 32), type_vocab_size=st.integers(1, 3),
                                       pooler=st.booleans(), num_labels=st.integers(1, 5),
                                       head=st.sampled_from(["none", "masked-lm", "sequence-classification",
                                                             "token-classification", "question-answering",
                                                             "pretraining"]))),
    "gpt": st.fixed_dictionaries(dict(TEXT, max_positions=st.integers(8, 32), tie_embeddings=st.booleans())),
    "t5": st.fixed_dictionaries(dict(ENC_DEC, head_dim=st.integers(2, 8), gated=st.booleans(),
                                     relative_buckets=st.integers(2, 16), relative_max_distance=st.integers(2, 64),
                                     tie_embeddings=st.booleans())),
    "bart": st.fixed_dictionaries(dict(ENC_DEC, max_positions=st.integers(8, 32), position_offset=st.integers(0, 2),
                                       lm_head=st.booleans())),
    "marian": st.fixed_dictionaries(dict(ENC_DEC, max_positions=st.integers(2, 32), scale_embedding=st.booleans(),
                                         decoder_vocab_size=st.integers(0, 64))),
    "pegasus": st.fixed_dictionaries(dict(ENC_DEC, max_positions=st.integers(2, 32))),
    "whisper": st.fixed_dictionaries(dict(ENC_DEC, num_mel_bins=st.integers(1, 8), max_source_positions=st.integers(1, 64),
                                          max_target_positions=st.integers(1, 16))),
    "llama": st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, tie_embeddings=st.booleans())),
    "qwen2": st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, tie_embeddings=st.booleans())),
    "clip-text": st.fixed_dictionaries(dict(TEXT, max_positions=st.integers(8, 32))),
}
# the Llama-like decoder zoo: decoupled head sizes, sliding windows shorter than the 5 test tokens
DECODER = dict(TEXT, num_kv_heads=heads, tie_embeddings=st.booleans(), head_dim=st.sampled_from([2, 4, 8]))
WINDOW = st.integers(0, 6)
STRATEGIES["mistral"] = st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, sliding_window=WINDOW))
STRATEGIES["qwen3"] = st.fixed_dictionaries(DECODER)
STRATEGIES["gemma"] = st.fixed_dictionaries(DECODER)
STRATEGIES["gemma2"] = st.fixed_dictionaries(dict(DECODER, sliding_window=WINDOW, sliding_window_pattern=small,
                                                  attn_softcap=st.sampled_from([0.0, 50.0])))
STRATEGIES["gemma3"] = st.fixed_dictionaries(dict(DECODER, sliding_window=WINDOW, sliding_window_pattern=small))
STRATEGIES["olmo2"] = st.fixed_dictionaries(DECODER)
STRATEGIES["starcoder2"] = st.fixed_dictionaries(dict(DECODER, sliding_window=WINDOW, bias=st.booleans()))
VISION = dict(image_size=st.sampled_from([16, 24, 32]), patch_size=st.sampled_from([4, 8, 16]),
              in_channels=st.integers(1, 3), d_model=width, num_layers=small, num_heads=heads, activation=act)
STRATEGIES["vit"] = st.fixed_dictionaries(dict(VISION, ffn_dim=st.integers(4, 48), num_classes=st.integers(0, 10)))
STRATEGIES["dinov2"] = st.fixed_dictionaries(
    dict(VISION, mlp_ratio=st.sampled_from([1.0, 2.0, 4.0]), gated=st.booleans(), num_registers=st.integers(0, 4))
)

STRATEGIES["sd-vae"] = st.fixed_dictionaries(dict(
    block_out_channels=st.lists(st.sampled_from([8, 16]), min_size=1, max_size=3).map(tuple),
    layers_per_block=st.integers(1, 2), latent_channels=st.integers(1, 4),
    norm_num_groups=st.sampled_from([1, 2, 4, 3]), sample_size=st.sampled_from([16, 32]),
))
STRATEGIES["clip"] = st.fixed_dictionaries(dict(
    text=st.fixed_dictionaries(dict(TEXT, max_positions=st.integers(8, 32))),
    vision=st.fixed_dictionaries(dict(VISION, ffn_dim=st.integers(4, 48))).map(
        lambda v: {k: x for k, x in v.items() if k != "in_channels"}),
    projection_dim=st.integers(1, 16),
))
STRATEGIES["sam"] = st.fixed_dictionaries(dict(
    d_model=width, num_layers=st.integers(1, 2), num_heads=heads, ffn_dim=st.integers(4, 32),
    global_attn_indexes=st.lists(st.integers(0, 2), max_size=2, unique=True).map(tuple),
    window_size=st.sampled_from([2, 3, 4]), image_size=st.sampled_from([32, 64]),
    patch_size=st.sampled_from([8, 16]), embed_dim=st.sampled_from([8, 16, 32]),
    mask_in_chans=st.sampled_from([4, 8]), decoder_depth=st.integers(1, 2), decoder_heads=heads,
    decoder_ffn_dim=st.integers(4, 32), attn_downsample_rate=st.sampled_from([1, 2, 3]),
    num_multimask_outputs=st.integers(1, 3), iou_head_depth=st.integers(1, 3), iou_head_hidden=st.integers(4, 16),
))
# mixtures of experts (tests/test_moe.py): real routing on CPU, the active count beside the total
STRATEGIES["mixtral"] = st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, tie_embeddings=st.booleans(),
                                                   num_experts=st.integers(1, 6), top_k=st.integers(1, 3)))
DEEPSEEK = dict(TEXT, first_dense=st.integers(0, 3), moe_ffn_dim=st.integers(2, 16), num_experts=st.sampled_from([1, 2, 4, 6, 8]),
                top_k=st.integers(1, 4), num_shared_experts=st.integers(0, 2), kv_lora_rank=st.integers(1, 16),
                q_lora_rank=st.one_of(st.none(), st.integers(1, 16)), qk_nope_head_dim=st.integers(1, 8),
                qk_rope_head_dim=st.sampled_from([2, 3, 4]), v_head_dim=st.integers(1, 8),
                num_groups=st.sampled_from([1, 2, 3]), topk_groups=st.integers(1, 3))
STRATEGIES["deepseek_v2"] = STRATEGIES["deepseek_v3"] = st.fixed_dictionaries(DEEPSEEK)
# issue 11's parallel-block / partial-rotary / ALiBi decoders (tests/test_zoo_parallel.py)
fraction = st.sampled_from([0.25, 0.5, 1.0])
STRATEGIES["gpt_neox"] = st.fixed_dictionaries(dict(TEXT, rotary_fraction=fraction, parallel=st.booleans(),
                                                    attention_bias=st.booleans(), tie_embeddings=st.booleans()))
STRATEGIES["phi"] = st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, rotary_fraction=fraction,
                                               tie_embeddings=st.booleans()))
STRATEGIES["phi3"] = st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, tie_embeddings=st.booleans()))
STRATEGIES["falcon"] = st.fixed_dictionaries(dict(TEXT, num_kv_heads=heads, parallel=st.booleans(),
                                                  shared_norm=st.booleans(), bias=st.booleans(), alibi=st.booleans(),
                                                  tie_embeddings=st.booleans()))
STRATEGIES["opt"] = st.fixed_dictionaries(dict(TEXT, max_positions=st.integers(8, 32), pre_norm=st.booleans(),
                                               embed_dim=st.sampled_from([0, 8, 16]), bias=st.booleans(),
                                               tie_embeddings=st.booleans()))
STRATEGIES["bloom"] = st.fixed_dictionaries(dict(TEXT, tie_embeddings=st.booleans()))
STRATEGIES["gptj"] = st.fixed_dictionaries(dict(TEXT, rotary_dim=st.sampled_from([0, 2, 4, 6]),
                                                tie_embeddings=st.booleans()))
STRATEGIES["deit"] = st.fixed_dictionaries(dict(
    VISION, ffn_dim=st.integers(4, 48), num_classes=st.integers(0, 10), distillation_token=st.booleans(),
    distillation_head=st.booleans()))
STRATEGIES["beit"] = st.fixed_dictionaries(dict(
    VISION, ffn_dim=st.integers(4, 48), num_classes=st.integers(0, 10), relative_position_bias=st.booleans(),
    shared_relative_position_bias=st.booleans(), absolute_positions=st.booleans(), layer_scale=st.booleans(),
    mean_pooling=st.booleans(), mask_token=st.booleans()))
STRATEGIES["swin"] = st.fixed_dictionaries(dict(
    patch_size=st.sampled_from([2, 4]), in_channels=st.integers(1, 3), embed_dim=width,
    depths=st.lists(st.integers(1, 2), min_size=1, max_size=3).map(tuple),
    num_heads=st.lists(heads, min_size=1, max_size=3).map(tuple), window_size=st.sampled_from([1, 2, 3]),
    mlp_ratio=st.sampled_from([1.0, 2.0]), num_classes=st.integers(0, 10), activation=act,
)).map(lambda f: dict(f, image_size=f["patch_size"] * 2 ** (len(f["depths"]) - 1) * f["window_size"]
                      * (1 + len(f["num_heads"]) % 2)))  # whole windows at every stage (or the rule's refusal)
STRATEGIES["siglip"] = st.fixed_dictionaries(dict(
    text=st.fixed_dictionaries(dict(TEXT, max_positions=st.integers(8, 32))).map(
        lambda t: dict(t, projection_size=t["d_model"])),
    vision=st.fixed_dictionaries(dict(VISION, ffn_dim=st.integers(4, 48), in_channels=st.just(3))),
)).map(lambda f: dict(f, vision=dict(f["vision"], d_model=f["text"]["d_model"])))
# issue 12's encoders: BERT's fields and each family's own heads and switches
BERTLIKE = dict(TEXT, max_positions=st.integers(8, 32), num_labels=st.integers(1, 5))
_heads = lambda *names: st.sampled_from(names)  # noqa: E731
for _fam in ("roberta", "xlm-roberta"):
    STRATEGIES[_fam] = st.fixed_dictionaries(dict(
        BERTLIKE, type_vocab_size=st.integers(0, 2), position_offset=st.integers(0, 2), pooler=st.booleans(),
        head=_heads("none", "masked-lm", "sequence-classification", "token-classification", "question-answering",
                    "multiple-choice")))
STRATEGIES["distilbert"] = st.fixed_dictionaries(dict(
    BERTLIKE, head=_heads("none", "masked-lm", "sequence-classification", "token-classification",
                          "question-answering", "multiple-choice")))
STRATEGIES["electra"] = st.fixed_dictionaries(dict(
    BERTLIKE, embed_dim=st.sampled_from([0, 8, 16]),
    head=_heads("none", "pretraining", "masked-lm", "sequence-classification", "token-classification")))
STRATEGIES["albert"] = st.fixed_dictionaries(dict(
    BERTLIKE, embed_dim=st.sampled_from([0, 8, 16]), pooler=st.booleans(),
    head=_heads("none", "pretraining", "masked-lm", "sequence-classification", "token-classification")))
STRATEGIES["modernbert"] = st.fixed_dictionaries(dict(
    TEXT, num_labels=st.integers(1, 5), global_every=st.integers(1, 3), local_window=st.sampled_from([2, 4, 8]),
    decoder_bias=st.booleans(), pooling=st.sampled_from(["mean", "cls"]),
    head=_heads("none", "masked-lm", "sequence-classification", "token-classification", "multiple-choice")))
STRATEGIES["deberta-v2"] = st.fixed_dictionaries(dict(
    BERTLIKE, type_vocab_size=st.integers(0, 2), position_buckets=st.sampled_from([0, 4, 8]),
    c2p=st.booleans(), p2c=st.booleans(), share_att_key=st.booleans(), norm_rel_ebd=st.booleans(),
    position_biased_input=st.booleans(),
    head=_heads("none", "sequence-classification", "token-classification", "question-answering")))
# the UNet's own property test (tests/test_diffusion.py) draws matching level layouts;
# "sd" only wires a text encoder, a UNet and a VAE, each drawn on its own
COVERED_ELSEWHERE = {"sd-unet", "sd"}


def test_every_family_has_a_strategy():
    missing = set(families()) - set(STRATEGIES) - COVERED_ELSEWHERE
    assert not missing, missing


@pytest.mark.parametrize("family", sorted(STRATEGIES))
def test_random_configs_build_or_fail_clearly(family):
    fam = families()[family]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(STRATEGIES[family])
    def check(fields):
        try:
            config = config_from_dict(fam.config_cls, fields)
        except SpecError as e:
            assert "\n" not in str(e) and "'" in str(e)  # one line naming the field
            return
        torch.manual_seed(0)
        model = build_model(config, device="cpu")
        assert count_params(model).total == config.num_params()
        assert count_params(model).active_params == config.num_active_params()
        inputs = model.example_inputs(InputShape(batch=2, seq_len=5, tgt_len=3, image_size=None), "cpu")
        with torch.inference_mode():
            out = model(**inputs)
        out = out[0] if isinstance(out, tuple) else out
        assert out.shape[0] == 2 and torch.isfinite(out).all()

    check()
