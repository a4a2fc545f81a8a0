"""Issue 12's vision families: DeiT, SigLIP, BEiT, Swin.

Reference counts: transformers 5.24 (/work/refvenv) building the class `architectures[0]`
names from each fixture on the meta device (/work/refs/hf_count.py). Matmul MACs were also
compared with torch's FlopCounterMode run on the transformers model (eager attention, meta
device): FlopCounterMode counts no norms, so it is compared with tfcli's total minus norms.
"""

import json
from pathlib import Path

import pytest
import torch

from tfcli.analysis.analytic import count_analytic
from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.catalog import lookup, resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.spec import InputShape

DATA = Path(__file__).parent / "data" / "hf"


def _load(name, **changes):
    data = json.loads((DATA / name).read_text())
    for key, value in changes.items():
        if key.endswith("_config"):
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    return config_from_hf(data, name)


def _matmul_macs(name: str, **shape) -> int:
    b = count_analytic(resolve(name).config, InputShape(**shape))
    return b.total() - b.macs["norms"]


def _tiny(name: str, *sets: str):
    torch.manual_seed(0)
    return build_model(resolve(name, list(sets)).config, device="cpu")


# -- DeiT ---------------------------------------------------------------------

DEIT_CLASSES = {  # transformers 5.24 from deit.json (facebook/deit-base-distilled-patch16-224)
    "DeiTForImageClassificationWithTeacher": 87_338_192,
    "DeiTForImageClassification": 86_569_192,  # the distillation token and its position, one head
    "DeiTModel": 86_390_784,  # + the pooler, no head
}


def test_deit_aliases():
    assert lookup("deit").name == "deit-b16-distilled"
    assert lookup("facebook/deit-base-distilled-patch16-224").name == "deit-b16-distilled"
    assert lookup("facebook/deit-tiny-distilled-patch16-224").name == "deit-t16-distilled"
    assert lookup("facebook/deit-small-patch16-224").name == "deit-s16"


@pytest.mark.parametrize("arch", sorted(DEIT_CLASSES))
def test_deit_file_builds_the_class_it_names(arch):
    config = _load("deit.json", architectures=[arch])
    assert config.family == "deit"
    assert config.num_params() == DEIT_CLASSES[arch]
    assert count_params(build_model(config)).total == DEIT_CLASSES[arch]


def test_deit_fixture_is_the_distilled_preset():
    config = _load("deit.json")
    assert (config.distillation_token, config.distillation_head, config.num_classes) == (True, True, 1000)
    assert config == lookup("deit-b16-distilled").config()


def test_plain_deit_checkpoint_is_a_vit_file():
    # facebook/deit-small-patch16-224's config.json says model_type vit, ViTForImageClassification
    config = _load("deit-small.json")
    assert config.family == "vit"
    assert config.num_params() == lookup("deit-s16").params == 22_050_664


@pytest.mark.parametrize("changes, message", [
    ({"architectures": ["DeiTForMaskedImageModeling"]}, "'DeiTForMaskedImageModeling' is not modelled; tfcli builds "
                                                        "DeiTForImageClassificationWithTeacher"),
    ({"qkv_bias": False}, "field 'qkv_bias' = False is not modelled"),
    ({"hidden_size": 100}, "'hidden_size' (100) must be divisible by 'num_attention_heads' (12)"),
])
def test_deit_refusals_name_the_field(changes, message):
    with pytest.raises(SpecError) as e:
        _load("deit.json", **changes)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_deit_distillation_head_needs_its_token():
    with pytest.raises(SpecError, match="'distillation_head' reads the distillation token"):
        resolve("deit-b16-distilled", ["distillation_token=false"])


def test_deit_tokens_and_matmuls_match_transformers():
    x = lookup("deit-b16-distilled").config().resolve_input(InputShape())
    assert x.lines == ["tokens: 198 = 14×14 patches + 1 [CLS] + 1 distillation"]
    # FlopCounterMode on DeiTForImageClassificationWithTeacher: addmm 16,818,597,888 +
    # bmm 722,608,128 + convolution 115,605,504
    assert _matmul_macs("deit-b16-distilled") == 17_656_811_520


def test_deit_forward_averages_the_two_heads():
    model = _tiny("deit-b16-distilled", "num_layers=1", "image_size=32", "d_model=64", "num_heads=2",
                  "ffn_dim=128", "num_classes=5")
    images = model.example_inputs(InputShape(batch=2), "cpu")["pixel_values"]
    tokens = model.embeddings(images)
    assert tokens.shape == (2, 2 + 4, 64)
    hidden = model.encoder(tokens)
    expected = (model.head(hidden[:, 0]) + model.distillation_head(hidden[:, 1])) / 2
    assert torch.allclose(model(images), expected)
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 5)  # 4×4 grid, positions resampled


# -- SigLIP -------------------------------------------------------------------


def test_siglip_aliases():
    assert lookup("siglip").name == "siglip-b16"
    assert lookup("google/siglip-base-patch16-224").name == "siglip-b16"
    assert lookup("google/siglip-so400m-patch14-384").name == "siglip-so400m-14-384"


def test_siglip_file_round_trip():
    config = _load("siglip.json")  # google/siglip-base-patch16-224: the towers mostly at their defaults
    assert config.family == "siglip"
    assert config == lookup("siglip-b16").config()
    assert config.num_params() == 203_155_970  # transformers SiglipModel
    assert count_params(build_model(config)).total == 203_155_970
    assert (config.text.max_positions, config.text.activation, config.vision.use_head) == (64, "gelu_tanh", True)
    so400m = _load("siglip.json", text_config={"hidden_size": 1152, "intermediate_size": 4304, "num_attention_heads": 16,
                                               "num_hidden_layers": 27},
                   vision_config={"hidden_size": 1152, "intermediate_size": 4304, "num_attention_heads": 16,
                                  "num_hidden_layers": 27, "image_size": 384, "patch_size": 14})
    assert so400m.num_params() == 877_960_498  # transformers SiglipModel, google/siglip-so400m-patch14-384's shape


@pytest.mark.parametrize("changes, message", [
    ({"architectures": ["SiglipForImageClassification"]}, "'SiglipForImageClassification' is not modelled"),
    ({"vision_config": {"vision_use_head": False}}, "vision.use_head=false is the bare SiglipVisionModel"),
    ({"text_config": {"projection_size": 512}},
     "'text_config.projection_size' (512) must equal the image embedding's 'vision_config.hidden_size' (768)"),
    ({"vision_config": {"hidden_size": 100}},
     "'vision_config.hidden_size' (100) must be divisible by 'vision_config.num_attention_heads' (12)"),
])
def test_siglip_refusals_name_the_field(changes, message):
    with pytest.raises(SpecError) as e:
        _load("siglip.json", **changes)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_siglip_towers_are_bidirectional_and_classified_dual_encoder():
    from tfcli.analysis.classify import classify

    model = build_model(lookup("siglip-b16").config())
    assert not any(getattr(m, "causal", False) for m in model.modules())
    assert model.vision.head.attn.kind == "pooling"
    c = classify(model)
    assert c.kind == "dual-encoder"
    assert [s.describe() for s in c.stacks] == [
        "text.encoder.layers: 12 × bidirectional self-attention",
        "vision.encoder.layers: 12 × bidirectional self-attention",
    ]
    # CLIP's text tower keeps its causal mask
    clip = build_model(lookup("clip-b32").config())
    assert clip.text.encoder.layers[0].attn.causal


def test_siglip_tokens_and_matmuls_match_transformers():
    x = lookup("siglip-b16").config().resolve_input(InputShape())
    assert x.lines == ["text: 64 tokens; image tokens: 196 = 14×14 patches"]  # no [CLS]
    # FlopCounterMode on SiglipModel (224², 64 tokens): addmm 22,320,709,632 + bmm 783,882,240
    # + convolution 115,605,504 + mm 768 (the 1×1 similarity)
    assert _matmul_macs("siglip-b16") == 23_220_198_144
    # So400m/14 at 384²: 27×27 patches, the conv leaves 6 pixels of each side unread
    assert _matmul_macs("siglip-so400m-14-384") == 361_737_866_880
    x = lookup("siglip-so400m-14-384").config().resolve_input(InputShape())
    assert x.lengths["image_tokens"] == 729
    assert "leaves the last 6 pixels of each side unread" in x.notes[0]


def test_siglip_pooling_head_closed_form():
    b = count_analytic(lookup("siglip-b16").config(), InputShape())
    d, n, t = 768, 196, 64
    towers = 2 * 12  # 12 blocks per tower
    scores = 12 * 2 * n * n * d + 12 * 2 * t * t * d + 2 * 1 * n * d  # + the probe's 1 × 196 scores
    assert b.macs["attn_scores"] == scores
    assert b.macs["attn_proj"] == 12 * 4 * (n + t) * d * d + (d * d + 2 * n * d * d + d * d)
    assert b.macs["feed_forward"] == towers // 2 * 2 * (n + t) * d * 3072 + 2 * d * 3072
    assert b.macs["heads"] == d * d and b.macs["other"] == d  # the text head; 1×1 logits


def test_siglip_forward_on_cpu():
    model = _tiny("siglip-b16", "text.num_layers=1", "text.d_model=64", "text.num_heads=2", "text.ffn_dim=128",
                  "text.vocab_size=100", "text.projection_size=64", "vision.num_layers=1", "vision.d_model=64",
                  "vision.num_heads=2", "vision.ffn_dim=128", "vision.image_size=32")
    inputs = model.example_inputs(InputShape(batch=3, seq_len=8), "cpu")
    per_image, per_text = model(**inputs)
    assert per_image.shape == (3, 3) and torch.equal(per_image, per_text.t())
    hidden, pooled = model.vision(inputs["pixel_values"])
    assert hidden.shape == (3, 4, 64) and pooled.shape == (3, 64)  # 2×2 patches, no [CLS]
    # bidirectional: changing the last token changes the first token's state
    ids = inputs["input_ids"].clone()
    a, _ = model.text(ids)
    ids[:, -1] = (ids[:, -1] + 1) % 100
    b, _ = model.text(ids)
    assert not torch.allclose(a[:, 0], b[:, 0])


# -- BEiT ---------------------------------------------------------------------

BEIT_VARIANTS = [  # beit.json (microsoft/beit-base-patch16-224) changed → transformers 5.24's count
    ({}, 86_530_984),
    ({"use_mean_pooling": False}, 86_530_984),  # the LayerNorm moves from the mean to every token
    ({"use_relative_position_bias": False, "use_shared_relative_position_bias": True}, 86_434_360),
    ({"use_absolute_position_embeddings": True, "layer_scale_init_value": 0.0}, 86_663_848),
    ({"architectures": ["BeitModel"]}, 85_761_984),
    ({"use_shared_relative_position_bias": True}, 86_539_768),  # both kinds of table: added together
    ({"image_size": 384}, 86_744_104),
]


def test_beit_aliases():
    assert lookup("beit").name == "beit-b16"
    assert lookup("microsoft/beit-large-patch16-224").name == "beit-l16"


@pytest.mark.parametrize("changes, params", BEIT_VARIANTS, ids=[str(i) for i in range(len(BEIT_VARIANTS))])
def test_beit_file_variants_match_transformers(changes, params):
    config = _load("beit.json", **changes)
    assert config.family == "beit"
    assert config.num_params() == params
    assert count_params(build_model(config)).total == params


def test_beit_fixture_is_the_preset():
    config = _load("beit.json")
    assert config == lookup("beit-b16").config()
    # one ((2·14 − 1)² + 3) × 12 table per block, q and v biases only, LayerScale, no absolute table
    block = config.layout()["encoder"].block
    assert block.rel_pos.rows == 732 and block.rel_pos.num_params() == 732 * 12
    assert (block.attention.has_k_bias, block.attention.qkv_bias, block.layer_scale) == (False, True, True)
    assert "positions" not in config.layout()
    model = build_model(config)
    attn = model.encoder.layers[0].attn
    assert attn.qkv.bias is None and attn.q_bias.shape == attn.v_bias.shape == (768,)


@pytest.mark.parametrize("changes, message", [
    ({"architectures": ["BeitForMaskedImageModeling"]}, "'BeitForMaskedImageModeling' is not modelled"),
    ({"use_mask_token": True}, "field 'use_mask_token' = True is not modelled"),
])
def test_beit_refusals_name_the_field(changes, message):
    with pytest.raises(SpecError) as e:
        _load("beit.json", **changes)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_beit_matmuls_match_transformers():
    # FlopCounterMode on BeitForImageClassification: addmm 15,338,551,296 + mm 1,394,343,936 (k has
    # no bias) + bmm 715,327,488 + convolution 115,605,504; the relative biases are gathered and added
    assert _matmul_macs("beit-b16") == 17_563_828_224
    b = count_analytic(lookup("beit-b16").config(), InputShape())
    n, d = 197, 768
    assert b.macs["attn_scores"] == 12 * 2 * n * n * d
    assert b.macs["norms"] == (12 * 2 * n * d + d) * 5  # two per block + the pooler's, on the mean


@pytest.mark.parametrize("sets", [[], ["relative_position_bias=false", "shared_relative_position_bias=true",
                                       "mean_pooling=false", "absolute_positions=true"]])
def test_beit_forward_on_cpu(sets):
    model = _tiny("beit-b16", "num_layers=2", "image_size=32", "d_model=64", "num_heads=2", "ffn_dim=128",
                  "num_classes=5", *sets)
    images = model.example_inputs(InputShape(batch=2), "cpu")["pixel_values"]
    assert model(images).shape == (2, 5)
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 5)  # 4×4 grid: the offset table resampled
    table = model.shared_rel_pos or model.encoder.layers[0].rel_pos
    bias = table(5)  # [CLS] + 2×2 patches
    assert bias.shape == (1, 2, 5, 5)
    n = 9  # (2·2 − 1)² offsets, then [CLS]→patch, patch→[CLS], [CLS]→[CLS]
    assert torch.equal(bias[0, :, 0, 1], table.table[n]) and torch.equal(bias[0, :, 1, 0], table.table[n + 1])
    assert torch.equal(bias[0, :, 0, 0], table.table[n + 2])
    assert torch.equal(bias[0, :, 1, 1], table.table[4])  # offset (0, 0): the table's centre


# -- Swin ---------------------------------------------------------------------

SWIN_VARIANTS = [  # swin.json (microsoft/swin-tiny-patch4-window7-224) changed → transformers 5.24's count
    ({}, 28_288_354),
    ({"architectures": ["SwinModel"]}, 27_519_354),  # no head (its pooler is a parameter-free mean)
    ({"depths": [2, 2, 18, 2]}, 49_606_258),  # swin-small
    ({"depths": [2, 2, 18, 2], "embed_dim": 128, "num_heads": [4, 8, 16, 32]}, 87_768_224),  # swin-base
]


def test_swin_aliases():
    assert lookup("swin").name == "swin-t"
    assert lookup("microsoft/swin-base-patch4-window7-224").name == "swin-b"


@pytest.mark.parametrize("changes, params", SWIN_VARIANTS, ids=[str(i) for i in range(len(SWIN_VARIANTS))])
def test_swin_file_variants_match_transformers(changes, params):
    config = _load("swin.json", **changes)
    assert config.family == "swin"
    assert config.num_params() == params
    assert count_params(build_model(config)).total == params


def test_swin_fixture_is_the_preset_and_its_parts():
    config = _load("swin.json")
    assert config == lookup("swin-t").config()
    layout = config.layout()
    block = layout["stages.0"].block
    assert (block.attention.window, block.rel_pos.rows, block.rel_pos.num_params()) == (7, 169, 169 * 3)
    assert layout["stages.2.merge"].num_params() == 2 * 4 * 384 + 4 * 384 * 768  # LayerNorm(4C), Linear(4C → 2C)
    assert "stages.3.merge" not in layout
    x = config.resolve_input(InputShape())
    assert x.lines == ["tokens: 3136 = 56×56 patches, merged stage by stage to 56×56 → 28×28 → 14×14 → 7×7; "
                       "7×7 windows per stage: 64, 16, 4, 1"]
    assert [x.lengths[f"stage{i}"] for i in range(4)] == [3136, 784, 196, 49]


@pytest.mark.parametrize("changes, message", [
    ({"use_absolute_embeddings": True}, "field 'use_absolute_embeddings' = True is not modelled"),
    ({"architectures": ["SwinForMaskedImageModeling"]}, "'SwinForMaskedImageModeling' is not modelled"),
    ({"image_size": 256}, "'image_size' (256) must be a multiple of 224 (patch 4 × 2^3 merges × window 7)"),
    ({"num_heads": [3, 6, 12]}, "'num_heads' ([3, 6, 12]) needs one entry per stage of 'depths' ([2, 2, 6, 2])"),
])
def test_swin_refusals_name_the_field(changes, message):
    with pytest.raises(SpecError) as e:
        _load("swin.json", **changes)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_swin_image_sides_must_fit_the_windows(run_cli):
    assert lookup("swin-t").config().image_step() == 224
    code, out, err = run_cli("inspect", "swin-t", "--image-size", "300")
    assert code == 2 and "Traceback" not in out + err
    assert "image size 300 does not tile Swin's 7×7 windows at every stage (sides come in multiples of 224); " \
           "use 224 or 448" in err


def test_swin_matmuls_match_transformers_and_every_score_is_windowed():
    # FlopCounterMode on SwinForImageClassification (224²): addmm 4,162,566,144 + mm 173,408,256 +
    # bmm 140,141,568 + convolution 14,450,688
    assert _matmul_macs("swin-t") == 4_490_566_656
    # Swin-B: 15,430,946,816 at 224², 61,720,715,264 at 448² (there the last stage shifts too)
    assert _matmul_macs("swin-b") == 15_430_946_816
    assert _matmul_macs("swin-b", image_size=448) == 61_720_715_264
    b = count_analytic(lookup("swin-t").config(), InputShape())
    # per stage: blocks × windows × 2 (QKᵀ, AV) × 49² × width
    scores = sum(depth * windows * 2 * 49 * 49 * 96 * 2**i
                 for i, (depth, windows) in enumerate(zip((2, 2, 6, 2), (64, 16, 4, 1))))
    assert b.macs["attn_scores"] == b.windowed_scores == scores == 140_141_568


def test_swin_windowed_attention_grows_linearly():
    config = lookup("swin-t").config()
    small, big = (count_analytic(config, InputShape(image_size=s)) for s in (224, 896))
    assert big.tokens == 16 * small.tokens  # 56² → 224² patches
    assert big.windowed_scores == 16 * small.windowed_scores  # 16× the windows, each the same size
    from tfcli.analysis.complexity import complexity_report

    report = complexity_report(resolve("swin-t"), [224, 448, 896], None)
    scores = [p.windowed for p in report.points]
    assert scores == [p.scores for p in report.points]
    assert scores[1] == 4 * scores[0] and scores[2] == 16 * scores[0]
    assert [p.tokens for p in report.points] == [3136, 12544, 50176]


def test_swin_classified_encoder_only_with_windowed_stacks():
    from tfcli.analysis.classify import classify

    c = classify(build_model(lookup("swin-t").config()))
    assert c.kind == "encoder-only"
    assert [s.describe() for s in c.stacks] == ["stages.*.blocks: 12 × bidirectional self-attention (12 windowed)"]
    from tfcli.analysis.families import families_table

    row = next(r for r in families_table("en").rows if r.family == "swin")
    assert row.components == ["patch embedding", "positional encoding (relative bias)", "multi-head attention",
                              "windowed attention", "patch merging", "feed-forward", "classifier"]
    deit = next(r for r in families_table("en").rows if r.family == "deit")
    assert "distillation token" in deit.components
    siglip = next(r for r in families_table("zh").rows if r.family == "siglip")
    assert "注意力池化 (Attention pooling)" in siglip.components


def test_swin_forward_on_cpu_and_the_shift_mask():
    from tfcli.models.swin import shift_mask

    model = _tiny("swin-t", "image_size=32", "embed_dim=16", "depths=[2,2]", "num_heads=[2,4]", "window_size=2",
                  "num_classes=5")
    assert [b.shift for b in model.stages[0].blocks] == [0, 1]
    images = model.example_inputs(InputShape(batch=2), "cpu")["pixel_values"]
    assert model(images).shape == (2, 5)
    # rolled by 1 on a 4×4 grid with 2×2 windows: the last window of each axis mixes both ends
    mask = shift_mask(4, 2, 1, "cpu")
    assert mask.shape == (4, 1, 4, 4)
    assert (mask[0] == 0).all()  # the first window holds one region
    assert (mask[3] != 0).sum() == 12  # the corner window: four regions, one token each
