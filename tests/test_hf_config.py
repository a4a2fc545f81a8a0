"""Hugging Face config.json → tfcli spec: parameter counts equal transformers' for the same file.

Reference counts: transformers 5.24 building each file on the meta device
(/work/refs/scratch-hfcompare/hf_counts.py): AutoModel for bert (BertModel, with pooler),
AutoModelForCausalLM for gpt2/llama/mistral, AutoModelForSeq2SeqLM for t5/bart.
Vision files (/work/refs/scratch-hf2/hf_counts.py): AutoModelForImageClassification when
`architectures` names a *ForImageClassification class, else AutoModel (ViTModel with its
pooler, Dinov2Model, Dinov2WithRegistersModel, CLIPModel, SamModel).
"""

import json
from pathlib import Path

import pytest

from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.catalog import resolve

DATA = Path(__file__).parent / "data" / "hf"

# file → (tfcli family, transformers' parameter count)
REFERENCE = {
    # bert-base-uncased names BertForMaskedLM: no pooler, the MLM head (dense, LayerNorm, a
    # 30522 bias; the projection tied to the token table)
    "bert.json": ("bert", 109_514_298),
    "qwen2.5-0.5b.json": ("qwen2", 494_032_768),  # Qwen/Qwen2.5-0.5B, Qwen2ForCausalLM (tied)
    "gpt2.json": ("gpt", 124_439_808),  # gpt2, GPT2LMHeadModel (tied)
    "t5.json": ("t5", 60_506_624),  # t5-small, T5ForConditionalGeneration (tied)
    "bart.json": ("bart", 139_420_416),  # facebook/bart-base names BartModel (no LM head; its tied head adds 0)
    "llama.json": ("llama", 6_738_415_616),  # meta-llama/Llama-2-7b-hf
    "tinyllama.json": ("llama", 1_100_048_384),  # TinyLlama-1.1B (GQA, 4 kv heads)
    "mistral.json": ("mistral", 7_241_732_096),  # Mistral-7B-v0.1 (GQA, 8 kv heads, sliding window)
    # google/t5-v1_1-small: gated GELU, untied LM head. transformers 5 forces T5's
    # embeddings tied (60,511,616); the checkpoint has its own lm_head, as transformers
    # 4.x built it: 60,511,616 + 32128 × 512 = 76,961,152
    "t5-v1_1.json": ("t5", 76_961_152),
    # google/vit-base-patch16-224: 1000 id2label entries → ViTForImageClassification
    # (no pooler, Linear(768, 1000) head; = timm vit_base_patch16_224)
    "vit.json": ("vit", 86_567_656),
    # google/vit-base-patch16-224-in21k: architectures ViTModel, no labels → backbone + pooler
    "vit-in21k.json": ("vit", 86_389_248),
    "dinov2.json": ("dinov2", 86_580_480),  # facebook/dinov2-base, Dinov2Model
    "dinov2-reg.json": ("dinov2", 86_583_552),  # facebook/dinov2-with-registers-base
    "clip.json": ("clip", 151_277_313),  # openai/clip-vit-base-patch32, CLIPModel
    # openai/clip-vit-large-patch14: the towers' configs leave most fields at their defaults
    "clip-l14.json": ("clip", 427_616_513),
    "sam.json": ("sam", 93_735_728),  # facebook/sam-vit-base, SamModel
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_round_trip_counts(name):
    family, expected = REFERENCE[name]
    spec = resolve(str(DATA / name))
    assert spec.source == "hf-config"
    assert spec.config.family == family
    assert spec.config.num_params() == expected


@pytest.mark.parametrize(
    "name", ["bert.json", "gpt2.json", "t5-v1_1.json", "tinyllama.json", "vit-in21k.json", "dinov2-reg.json", "clip.json", "sam.json"]
)
def test_built_model_matches(name):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    spec = resolve(str(DATA / name))
    assert count_params(build_model(spec.config)).total == REFERENCE[name][1]


def test_field_mapping():
    load = lambda n: config_from_hf(json.loads((DATA / n).read_text()), n)  # noqa: E731
    gpt2 = load("gpt2.json")
    assert (gpt2.activation, gpt2.ffn_dim, gpt2.tie_embeddings) == ("gelu_tanh", 3072, True)
    t5 = load("t5-v1_1.json")
    assert (t5.gated, t5.activation, t5.tie_embeddings, t5.num_heads, t5.head_dim) == (True, "gelu_tanh", False, 6, 64)
    mistral = load("mistral.json")
    assert (mistral.num_kv_heads, mistral.ffn_dim, mistral.vocab_size, mistral.norm_eps) == (8, 14336, 32000, 1e-5)
    bert = load("bert.json")
    assert (bert.norm_eps, bert.type_vocab_size) == (1e-12, 2)


def test_unknown_model_type(run_cli, tmp_path):
    f = tmp_path / "config.json"
    f.write_text(json.dumps({"model_type": "xlnet", "d_model": 384}))
    code, out, err = run_cli("inspect", str(f))
    assert code == 2
    from tfcli.registry import HF_MAPPERS

    assert {"bart", "bert", "clip", "gpt2", "llama", "mistral", "qwen2", "sam", "t5", "vit"} <= set(HF_MAPPERS)
    assert f"model_type 'xlnet' is not supported; supported: {', '.join(sorted(HF_MAPPERS))}" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden_size": 0}, "field 'hidden_size' must be positive, got 0"),
        ({"hidden_size": 100}, "'hidden_size' (100) must be divisible by 'num_attention_heads' (32)"),
        ({"num_key_value_heads": 5}, "'num_attention_heads' (32) must be divisible by 'num_key_value_heads' (5)"),
        ({"hidden_act": "mish"}, "field 'hidden_act' 'mish' is not modelled"),
        ({"attention_bias": True}, "field 'attention_bias' = True is not modelled"),
        ({"num_hidden_layers": "many"}, "field 'num_hidden_layers' must be an integer"),
    ],
)
def test_impossible_values_name_the_field(run_cli, tmp_path, change, message):
    data = json.loads((DATA / "tinyllama.json").read_text())
    data.update(change)
    f = tmp_path / "config.json"
    f.write_text(json.dumps(data))
    code, out, err = run_cli("inspect", str(f))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_unsupported_variants():
    base = json.loads((DATA / "bart.json").read_text())
    with pytest.raises(SpecError, match="'decoder_attention_heads' \\(16\\) must equal 'encoder_attention_heads'"):
        config_from_hf({**base, "decoder_attention_heads": 16})
    with pytest.raises(SpecError, match="normalize_before"):
        config_from_hf({**base, "normalize_before": True})
    bert = json.loads((DATA / "bert.json").read_text())
    with pytest.raises(SpecError, match="position_embedding_type"):
        config_from_hf({**bert, "position_embedding_type": "relative_key"})
    t5 = json.loads((DATA / "t5.json").read_text())
    with pytest.raises(SpecError, match="feed_forward_proj"):
        config_from_hf({**t5, "feed_forward_proj": "gelu-gated"})


def _load(name, **changes):
    data = json.loads((DATA / name).read_text())
    for key, value in changes.items():
        if key.endswith("_config"):  # nested configs: change some of their fields
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    return config_from_hf(data, name)


def test_vision_field_mapping():
    vit = _load("vit.json")
    assert (vit.num_classes, vit.pooler, vit.norm_eps, vit.patch_size) == (1000, False, 1e-12, 16)
    backbone = _load("vit-in21k.json")
    assert (backbone.num_classes, backbone.pooler) == (0, True)
    # no `architectures`: labels decide; a list-valued square image_size is accepted
    headless = _load("vit.json", architectures=None, id2label=None, label2id=None, image_size=[384, 384])
    assert (headless.num_classes, headless.pooler, headless.image_size) == (0, True, 384)
    assert _load("vit.json", architectures=None, id2label={"0": "cat", "1": "dog", "2": "bird"}).num_classes == 3
    reg = _load("dinov2-reg.json")
    assert (reg.num_registers, reg.image_size, reg.patch_size) == (4, 518, 14)
    giant = _load("dinov2.json", hidden_size=1536, num_hidden_layers=40, num_attention_heads=24, use_swiglu_ffn=True)
    assert (giant.gated, giant.activation, giant.ffn_dim, giant.num_params()) == (True, "silu", 4096, 1_136_480_768)
    clip = _load("clip-l14.json")
    assert (clip.text.d_model, clip.text.num_layers, clip.text.vocab_size, clip.text.activation) == (768, 12, 49408, "quick_gelu")
    assert (clip.vision.patch_size, clip.vision.image_size, clip.projection_dim) == (14, 224, 768)
    sam = _load("sam.json")
    assert (sam.global_attn_indexes, sam.window_size, sam.embed_dim, sam.decoder_depth) == ((2, 5, 8, 11), 14, 256, 2)
    sam_h = _load("sam.json", vision_config={"hidden_size": 1280, "num_hidden_layers": 32, "num_attention_heads": 16,
                                             "mlp_dim": 5120, "global_attn_indexes": [7, 15, 23, 31]})
    assert sam_h.num_params() == 641_090_864  # FACTS: SamModel sam-vit-huge


def test_empty_nested_configs_take_transformers_defaults():
    assert config_from_hf({"model_type": "clip"}).num_params() == 151_277_313  # = clip-vit-base-patch32
    assert config_from_hf({"model_type": "sam"}).num_params() == 93_735_728  # = sam-vit-base
    assert config_from_hf({"model_type": "clip_text_model"}).num_params() == 63_165_952  # CLIPTextModel
    # transformers 4.1x wrote the towers as `text_config_dict`
    old = config_from_hf({"model_type": "clip", "text_config": None, "text_config_dict": {"hidden_size": 768, "num_attention_heads": 12}})
    assert old.text.d_model == 768


def test_vit_classifier_note(run_cli):
    code, out, err = run_cli("inspect", str(DATA / "vit.json"), "--json")
    assert code == 0, err
    assert "built as ViTForImageClassification (1000-class head, no pooler)" in err
    code, out, err = run_cli("inspect", str(DATA / "vit.json"), "--set", "num_classes=0", "--set", "pooler=true", "--json")
    assert code == 0, err
    assert json.loads(out)["params"] == 86_389_248  # = ViTModel from the same file


@pytest.mark.parametrize(
    "name, changes, message",
    [
        ("vit.json", {"qkv_bias": False}, "field 'qkv_bias' = False is not modelled"),
        ("vit.json", {"architectures": ["ViTForMaskedImageModeling"]}, "'ViTForMaskedImageModeling' is not modelled"),
        ("vit.json", {"image_size": [224, 320]}, "field 'image_size' = [224, 320] is not modelled (tfcli builds square"),
        ("vit.json", {"hidden_size": 100}, "'hidden_size' (100) must be divisible by 'num_attention_heads' (12)"),
        ("dinov2.json", {"use_mask_token": False}, "field 'use_mask_token' = False is not modelled"),
        ("clip.json", {"vision_config": {"hidden_size": 100}},
         "'vision_config.hidden_size' (100) must be divisible by 'vision_config.num_attention_heads' (12)"),
        ("clip.json", {"text_config": {"hidden_act": "mish"}}, "field 'text_config.hidden_act' 'mish' is not modelled"),
        ("sam.json", {"mask_decoder_config": {"hidden_size": 128}},
         "'mask_decoder_config.hidden_size' (128) must be 256 to match vision_config.output_channels (256)"),
        ("sam.json", {"vision_config": {"global_attn_indexes": [2, 5, 8, 12]}},
         "'vision_config.global_attn_indexes' has 12, but there are only 12 layers"),
        ("sam.json", {"vision_config": {"use_rel_pos": False}}, "field 'vision_config.use_rel_pos' = False is not modelled"),
    ],
)
def test_vision_refusals_name_the_field(name, changes, message):
    with pytest.raises(SpecError) as e:
        _load(name, **changes)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


# transformers 5.24 on the meta device, bert-base-uncased's config.json with `architectures` set
BERT_HEADS = {
    "BertModel": 109_482_240,
    "BertForMaskedLM": 109_514_298,
    "BertForSequenceClassification": 109_483_778,  # 2 labels on the pooled [CLS]
    "BertForTokenClassification": 108_893_186,  # no pooler, 2 labels on every token
    "BertForQuestionAnswering": 108_893_186,  # no pooler, start/end logits
    "BertForPreTraining": 110_106_428,  # pooler + MLM head + next-sentence classifier
    "BertForNextSentencePrediction": 109_483_778,
    "BertForMultipleChoice": 109_483_009,
}


@pytest.mark.parametrize("arch", sorted(BERT_HEADS))
def test_bert_builds_the_class_architectures_names(arch):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    config = _load("bert.json", architectures=[arch])
    assert config.num_params() == BERT_HEADS[arch]
    assert count_params(build_model(config)).total == BERT_HEADS[arch]


def test_bert_heads_read_the_labels():
    five = _load("bert.json", architectures=["BertForSequenceClassification"], id2label={str(i): str(i) for i in range(5)})
    assert (five.head, five.num_labels, five.num_params()) == ("sequence-classification", 5, 109_482_240 + 768 * 5 + 5)


def test_a_class_tfcli_does_not_build_is_refused_not_replaced():
    with pytest.raises(SpecError, match="'BertLMHeadModel' is not modelled; tfcli builds BertModel, BertForMaskedLM"):
        _load("bert.json", architectures=["BertLMHeadModel"])
    with pytest.raises(SpecError, match="'Qwen2ForSequenceClassification' is not modelled"):
        _load("qwen2.5-0.5b.json", architectures=["Qwen2ForSequenceClassification"])


def test_masked_lm_forward_gives_vocabulary_logits():
    import torch

    from tfcli.build import build_model

    config = _load("bert.json").replace(num_layers=1, d_model=64, num_heads=4, ffn_dim=128, vocab_size=100)
    model = build_model(config, device="cpu")
    logits = model(torch.randint(0, 100, (2, 7)))
    assert logits.shape == (2, 7, 100)


def test_qwen2_file_maps_its_biases_and_ties():
    q = _load("qwen2.5-0.5b.json")
    assert (q.num_kv_heads, q.tie_embeddings, q.rope_theta, q.max_positions) == (2, True, 1e6, 32768)
    untied = _load("qwen2.5-0.5b.json", tie_word_embeddings=False)
    assert untied.num_params() == 494_032_768 + 151936 * 896
    with pytest.raises(SpecError, match="use_sliding_window"):
        _load("qwen2.5-0.5b.json", use_sliding_window=True)


def test_a_field_no_mapper_reads_is_named_not_ignored(run_cli, tmp_path):
    """A config.json field tfcli's mapper never looked at is said in a note (ids, dropout and
    runtime settings excepted), so a number is never printed for a model it silently misread."""
    data = json.loads((DATA / "llama.json").read_text())
    data["num_experts_per_layer"] = 4  # a made-up field that would change the architecture
    data["attention_dropout"] = 0.1  # one that cannot
    f = tmp_path / "config.json"
    f.write_text(json.dumps(data))
    code, out, err = run_cli("inspect", str(f), "--depth", "0")
    assert code == 0
    assert "not read by tfcli's llama mapper: num_experts_per_layer" in err and "attention_dropout" not in err
    code, out, err = run_cli("inspect", str(DATA / "gpt2.json"), "--depth", "0")
    assert "not read" not in err  # a real file: every field that matters is read
