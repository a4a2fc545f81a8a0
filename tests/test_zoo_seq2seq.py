"""Seq2seq families of issue 12 from their config.json: T5 v1.1 / Flan-T5 / mT5, Marian,
Pegasus, Whisper. Every count equals the transformers class `architectures[0]` names.

References (meta device, the fixture's config.json): Marian and Pegasus with
transformers 5.24 (their sinusoid tables are frozen parameters, counted; final_logits_bias
is a buffer, not counted); T5 v1.1, Flan-T5 and mT5 with
transformers 4.46.3, which builds the checkpoints' own (untied) lm_head; transformers 5.24
ties it to the shared table whatever the file says (t5-v1_1-base: 222,903,552 there,
+ 32128 × 768 untied). The matmul MACs at 128 + 128 tokens equal FlopCounterMode's
(FLOPs / 2) on the transformers model: tfcli's closed form less its norms.
"""

import json
from pathlib import Path

import pytest

from tfcli.catalog import presets, resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf

DATA = Path(__file__).parent / "data" / "hf"

# fixture → (preset it equals, transformers' parameter count)
FILES = {
    "t5-v1_1-base.json": ("t5-v1_1-base", 247_577_856),
    "flan-t5-base.json": ("flan-t5-base", 247_577_856),
    "mt5-small.json": ("mt5-small", 300_176_768),
    # transformers 5.24 (4.46.3 agrees): the two sinusoid tables are frozen parameters and count
    "marian.json": ("opus-mt-en-de", 74_410_496),
    "pegasus.json": ("pegasus-xsum", 569_748_480),
    # transformers 5.24: the encoder's embed_positions (1500 × d, requires_grad off) counts
    "whisper-tiny.json": ("whisper-tiny", 37_760_640),
    "whisper-small.json": ("whisper-small", 241_734_912),
}

# matmul MACs (closed form less norms) = transformers' under FlopCounterMode, 128 + 128 tokens
HF_MATMUL_MACS = {
    "flan-t5-base": 29_431_431_168,
    "mt5-small": 22_330_474_496,
    "opus-mt-en-de": 9_746_841_600,  # eager attention on CPU (its bmm are the scores)
    "pegasus-xsum": 74_336_567_296,  # SDPA on CPU: 72,725,954,560 for the matmuls + 48 × 2·16·128²·64 scores
    # eager attention on CPU, 3000 frames + 128 decoder tokens: convolution 940,032,000 +
    # addmm 11,598,299,136 + mm 4,394,237,952 + bmm 7,552,155,648
    "whisper-tiny": 24_484_724_736,
    "whisper-small": 214_937_862_144,  # convolution 3,207,168,000 of it
}


def _load(name, **changes):
    data = {**json.loads((DATA / name).read_text()), **changes}
    return config_from_hf(data, name)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_counts_equal_transformers(name):
    preset, expected = FILES[name]
    spec = resolve(str(DATA / name))
    assert spec.source == "hf-config"
    assert spec.config.num_params() == expected
    assert presets()[preset].params == expected
    assert spec.config == presets()[preset].config()  # the preset is the file


@pytest.mark.parametrize("name", sorted(FILES))
def test_built_file_matches(name):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    assert count_params(build_model(resolve(str(DATA / name)).config)).total == FILES[name][1]


@pytest.mark.parametrize("preset", sorted(HF_MATMUL_MACS))
def test_matmul_macs_equal_transformers(preset):
    config = presets()[preset].config()
    macs = config.macs(config.resolve_input(config.default_input()))
    assert macs.total() - macs.macs["norms"] == HF_MATMUL_MACS[preset]
    assert macs.total() == presets()[preset].macs


def test_t5_v1_1_fields():
    flan = _load("flan-t5-base.json")
    assert (flan.gated, flan.activation, flan.tie_embeddings, flan.ffn_dim, flan.head_dim) == (
        True, "gelu_tanh", False, 2048, 64)
    mt5 = _load("mt5-small.json")
    assert (mt5.vocab_size, mt5.num_layers, mt5.num_heads, mt5.tie_embeddings) == (250112, 8, 6, False)
    # untied: one vocab × d_model matrix more than the tied count
    assert _load("flan-t5-base.json", tie_word_embeddings=True).num_params() == 247_577_856 - 32128 * 768


def test_t5_family_refuses_the_other_class():
    with pytest.raises(SpecError, match="'T5ForConditionalGeneration' is not modelled; tfcli builds "
                       "MT5ForConditionalGeneration for model_type 'mt5'"):
        _load("mt5-small.json", architectures=["T5ForConditionalGeneration"])
    with pytest.raises(SpecError, match="'T5EncoderModel' is not modelled"):
        _load("flan-t5-base.json", architectures=["T5EncoderModel"])
    with pytest.raises(SpecError, match="feed_forward_proj"):
        _load("mt5-small.json", feed_forward_proj="gated-mish")


def test_hub_ids_are_aliases():
    assert resolve("google/flan-t5-base").name == "flan-t5-base"
    assert resolve("google/mt5-small").name == "mt5-small"
    assert resolve("google/t5-v1_1-base").name == "t5-v1_1-base"


def test_untied_forward_runs():
    import torch

    from tfcli.build import build_model

    config = presets()["mt5-small"].config().replace(vocab_size=100, num_layers=1, num_decoder_layers=1)
    model = build_model(config, device="cpu")
    out = model(torch.randint(0, 100, (2, 5)), torch.randint(0, 100, (2, 3)))
    assert out.shape == (2, 3, 100)
    assert model.lm_head.proj.weight is not model.tokens.weight


def test_marian_fields_and_frozen_tables():
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    m = _load("marian.json")
    assert (m.activation, m.scale_embedding, m.decoder_vocab_size, m.max_positions) == ("silu", True, 0, 512)
    report = count_params(build_model(m))
    assert report.trainable == 74_410_496 - 2 * 512 * 512  # the two sinusoid tables are frozen
    model = build_model(m)
    assert "final_logits_bias" in dict(model.named_buffers())
    p = _load("pegasus.json")
    assert (p.pre_norm, p.activation, p.num_layers, p.vocab_size) == (True, "relu", 16, 96103)
    layout = p.layout()
    assert layout["encoder"].has_final_norm and layout["decoder"].has_final_norm
    assert not m.layout()["encoder"].has_final_norm


# transformers 5.24 MarianMTModel with share_encoder_decoder_embeddings false: the decoder
# gets a table of its own (decoder_vocab_size rows) and the head is tied to it
@pytest.mark.parametrize("changes, expected", [
    ({"share_encoder_decoder_embeddings": False}, 104_158_208),
    ({"share_encoder_decoder_embeddings": False, "decoder_vocab_size": 60000}, 105_130_496),
])
def test_marian_separate_vocabularies(changes, expected):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    config = _load("marian.json", **changes)
    assert config.num_params() == expected
    assert count_params(build_model(config)).total == expected


def test_marian_separate_vocabulary_forward():
    import torch

    from tfcli.build import build_model

    config = _load("marian.json", share_encoder_decoder_embeddings=False, decoder_vocab_size=70).replace(
        vocab_size=50, num_layers=1, num_decoder_layers=1, d_model=32, num_heads=4, ffn_dim=64, max_positions=8)
    model = build_model(config, device="cpu")
    out = model(torch.randint(0, 50, (2, 5)), torch.randint(0, 70, (2, 10)))  # 10 > 8 stored: wraps
    assert out.shape == (2, 10, 70)
    assert model.lm_head.proj.weight is model.dec_tokens.weight


@pytest.mark.parametrize("name, changes, message", [
    ("marian.json", {"tie_word_embeddings": False}, "field 'tie_word_embeddings' = False is not modelled"),
    ("marian.json", {"architectures": ["MarianForCausalLM"]},
     "'MarianForCausalLM' is not modelled; tfcli builds MarianMTModel for model_type 'marian'"),
    ("marian.json", {"decoder_vocab_size": 1000}, "'decoder_vocab_size' (1000) must equal 'vocab_size' (58101)"),
    ("marian.json", {"decoder_attention_heads": 16}, "'decoder_attention_heads' (16) must equal"),
    ("pegasus.json", {"decoder_ffn_dim": 1024}, "'decoder_ffn_dim' (1024) must equal 'encoder_ffn_dim'"),
    ("pegasus.json", {"activation_function": "mish"}, "field 'activation_function' 'mish' is not modelled"),
    ("pegasus.json", {"d_model": 1000}, "'d_model' (1000) must be divisible by 'encoder_attention_heads' (16)"),
])
def test_marian_pegasus_refusals_name_the_field(name, changes, message):
    with pytest.raises(SpecError) as e:
        _load(name, **changes)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_inspect_says_the_tables_are_stored(run_cli):
    code, out, err = run_cli("inspect", "Helsinki-NLP/opus-mt-en-de", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["params"], data["params_trainable"]) == (74_410_496, 73_886_208)
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    positions = read_structure(build_model(presets()["opus-mt-en-de"].config())).positions
    assert positions == ["sinusoidal (fixed, 512 positions stored)"]


def test_whisper_input_is_audio():
    config = presets()["whisper-small"].config()
    x = config.resolve_input(config.default_input())
    assert (x.audio_seconds, x.lengths["frames"], x.lengths["tokens"], x.tgt_len, x.tokens) == (30.0, 3000, 1500, 128, 1500)
    assert x.lines == ["audio: 30 s = 3000 log-mel frames × 80 bins (10 ms hop)",
                       "tokens: 1500 encoder (the stride-2 conv halves the frames) + 128 decoder"]
    assert x.notes == []
    from tfcli.spec import InputShape

    odd = config.resolve_input(InputShape(audio_seconds=10.009, tgt_len=500))  # a partial hop: no frame
    assert (odd.lengths["frames"], odd.lengths["tokens"]) == (1000, 500)
    assert "10.009 s gives 500 encoder tokens; Whisper is trained on 1500" in odd.notes[0]
    assert "exceeds the learned position table (448)" in odd.notes[1]


def test_whisper_conv_stem_macs_by_hand():
    from tfcli.spec import InputShape

    config = presets()["whisper-tiny"].config()
    for seconds, frames, tokens in ((30, 3000, 1500), (7.01, 701, 351)):
        macs = config.macs(config.resolve_input(InputShape(audio_seconds=seconds)))
        assert macs.macs["convolution"] == frames * 80 * 3 * 384 + tokens * 384 * 3 * 384
    # K has no bias: 3 attentions' worth less than a plain pre-norm block
    layout = config.layout()
    assert layout["encoder"].block.attention.num_params() == 4 * 384 * 384 + 3 * 384


def test_whisper_three_counts_agree_at_another_length():
    from tfcli.analysis.flops import flops_report
    from tfcli.catalog import resolve
    from tfcli.spec import InputShape

    report = flops_report(resolve("whisper-tiny"), InputShape(audio_seconds=4, tgt_len=16), ("fvcore", "torch", "analytic"))
    totals = {m: c.total for m, c in report.counts.items()}
    assert len(set(totals.values())) == 1, totals
    for method in ("fvcore", "torch"):
        assert report.counts[method].uncounted == {}
        assert report.counts[method].by_category == report.counts["analytic"].by_category
    data = report.to_dict()
    assert data["input"]["audio_seconds"] == 4
    assert data["inputs"]["input_features"] == [1, 80, 400]


def test_whisper_refusals_name_the_field():
    with pytest.raises(SpecError, match="'WhisperForAudioClassification' is not modelled"):
        _load("whisper-tiny.json", architectures=["WhisperForAudioClassification"])
    with pytest.raises(SpecError, match="'decoder_ffn_dim' \\(1000\\) must equal 'encoder_ffn_dim'"):
        _load("whisper-tiny.json", decoder_ffn_dim=1000)
    with pytest.raises(SpecError, match="field 'tie_word_embeddings' = False is not modelled"):
        _load("whisper-tiny.json", tie_word_embeddings=False)
    large = _load("whisper-small.json", num_mel_bins=128)  # large-v3's 128 bins: a wider first conv
    assert large.num_params() == 241_734_912 + 48 * 3 * 768


@pytest.mark.parametrize("args, message", [
    (("inspect", "whisper-tiny", "--seq-len", "64"), "whisper-tiny is an audio model: --seq-len does not apply; "
     "use --audio-seconds for the encoder's audio and --tgt-len for the decoder's tokens"),
    (("flops", "whisper-tiny", "--image-size", "224"), "whisper-tiny is an audio model: --image-size does not apply"),
    (("inspect", "gpt2", "--audio-seconds", "10"), "--audio-seconds is for audio models; gpt2 reads no audio"),
    (("inspect", "whisper-tiny", "--audio-seconds", "0"), "--audio-seconds must be a positive number of seconds, got 0"),
    (("flops", "whisper-tiny", "--audio-seconds", "nan"), "--audio-seconds must be a positive number of seconds, got nan"),
    (("inspect", "whisper-tiny", "--audio-seconds", "0.001"), "--audio-seconds 0.001 is shorter than one 10 ms"),
])
def test_audio_options_are_checked(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_inspect_whisper_small_shows_audio_and_tokens(run_cli):
    code, out, err = run_cli("inspect", "whisper-small", "--depth", "1")
    assert code == 0, err
    assert "input_features (1, 80, 3000), decoder_input_ids (1, 128)" in out
    assert "audio: 30 s = 3000 log-mel frames × 80 bins" in out
    assert "tokens: 1500 encoder (the stride-2 conv halves the frames) + 128 decoder" in out
    assert "241,734,912" in out
    assert "audio encoder-decoder: 1-D convolutions over audio frames" in out  # read from the built modules
    code, out, err = run_cli("inspect", "openai/whisper-small", "--audio-seconds", "10", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["inputs"]["input_features"] == [1, 80, 1000]
    assert data["params_by_category"]["convolution"] == 80 * 3 * 768 + 768 + 768 * 3 * 768 + 768


def test_flops_and_graph_take_audio_seconds(run_cli, tmp_path):
    code, out, err = run_cli("flops", "whisper-tiny", "--audio-seconds", "10", "--tgt-len", "32", "-m", "all", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["input"]["audio_seconds"] == 10 and data["inputs"]["input_features"] == [1, 80, 1000]
    code, out, err = run_cli("graph", "whisper-tiny", "--audio-seconds", "5", "-o", str(tmp_path / "w.dot"))
    assert code == 0, err
    dot = (tmp_path / "w.dot").read_text()
    assert "Log-Mel Spectrogram" in dot and "(1, 80, 500)" in dot and "384→384, stride 2" in dot


def test_whisper_forward_runs():

    from tfcli.build import build_model
    from tfcli.spec import InputShape

    config = presets()["whisper-tiny"].config().replace(
        vocab_size=50, d_model=16, num_heads=2, ffn_dim=32, num_layers=1, num_decoder_layers=1, num_mel_bins=4)
    model = build_model(config, device="cpu")
    inputs = model.example_inputs(InputShape(batch=2, audio_seconds=0.5, tgt_len=3), "cpu")
    assert inputs["input_features"].shape == (2, 4, 50)
    assert model(**inputs).shape == (2, 3, 50)
    assert model.lm_head.proj.weight is model.tokens.weight
    attn = model.encoder.layers[0].attn
    assert attn.qkv.bias is None and attn.q_bias.shape == attn.v_bias.shape == (16,)  # Q and V biases; K has none


def test_past_the_stored_table_is_said(run_cli):
    code, out, err = run_cli("flops", "opus-mt-en-de", "--seq-len", "600", "--json")
    assert code == 0, err
    assert "sequence length 600 exceeds the stored sinusoid table (512)" in out
    from tfcli.spec import InputShape

    assert presets()["pegasus-xsum"].config().resolve_input(InputShape(seq_len=512)).notes == []


def test_complexity_sweeps_audio_seconds():
    """Whisper reads audio, so complexity sweeps seconds (50 encoder tokens each), not --seq-len."""
    from tfcli.analysis.complexity import complexity_report
    from tfcli.catalog import resolve

    r = complexity_report(resolve("whisper-tiny"), None, None)
    assert r.mode == "audio" and [p.x for p in r.points][:3] == [1, 2, 4]
    assert [p.tokens for p in r.points][:3] == [50, 100, 200]
    assert r.points[0].scores < r.points[-1].scores
    assert r.to_dict()["points"][0]["audio_seconds"] == 1


def test_bench_counts_audio_seconds(run_cli):
    """Whisper's throughput is seconds of audio per second, its length column the audio's."""
    import json

    tiny = ["--set", "d_model=16", "--set", "num_heads=2", "--set", "ffn_dim=32", "--set", "num_layers=1",
            "--set", "num_decoder_layers=1", "--set", "vocab_size=50", "--set", "num_mel_bins=4"]
    code, out, err = run_cli("bench", "whisper-tiny", *tiny, "--audio-seconds", "2", "--tgt-len", "8",
                             "--iters", "2", "--warmup", "1", "--min-time", "0", "--json")
    assert code == 0, err
    (p,) = json.loads(out)["results"][0]["points"]
    assert (p["audio_seconds"], p["audio_seconds_per_pass"], p["unit"]) == (2.0, 2.0, "audio_seconds")
    assert p["audio_seconds_per_s"] > 0
