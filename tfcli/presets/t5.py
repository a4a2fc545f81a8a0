"""T5: encoder-decoder, relative-position bias, pre-RMSNorm, no biases, span-corruption pre-training."""

from dataclasses import dataclass

from tfcli.presets._text import RelativeBiasSpec, check_choices, encoder_decoder
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, block_spec, require


@dataclass
class T5Config(ArchConfig):
    vocab_size: int = 32128
    d_model: int = 512
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 8
    head_dim: int = 64  # T5's d_kv: heads × head_dim need not equal d_model
    ffn_dim: int = 2048
    activation: str = "relu"
    gated: bool = False  # T5 v1.1 / Flan use gated GELU
    relative_buckets: int = 32
    relative_max_distance: int = 128
    norm_eps: float = 1e-6
    tie_embeddings: bool = True

    encoder_decoder = True

    def check(self) -> None:
        check_choices(self.family, self.activation)
        require(self.relative_buckets >= 4, self.family, "'relative_buckets' must be at least 4")
        # the decoder's one-sided buckets are exact up to buckets/2, logarithmic from there
        # to max_distance: it must lie past that point
        require(
            self.relative_max_distance > self.relative_buckets // 2,
            self.family,
            f"'relative_max_distance' ({self.relative_max_distance}) must exceed relative_buckets/2 "
            f"({self.relative_buckets // 2})",
        )

    def layout(self) -> Layout:
        enc = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, head_dim=self.head_dim, activation=self.activation,
            gated=self.gated, norm="rms", norm_eps=self.norm_eps, qkv_bias=False, ffn_bias=False,
            attn_scale=1.0,  # T5 folds 1/sqrt(d_k) into its initialisation
        )
        dec = block_spec(
            self.d_model, self.num_heads, self.ffn_dim, head_dim=self.head_dim, activation=self.activation,
            gated=self.gated, norm="rms", norm_eps=self.norm_eps, qkv_bias=False, ffn_bias=False,
            attn_scale=1.0, causal=True, cross_dim=self.d_model,
        )
        # each stack's relative-position bias is owned by its first layer and added to every layer's scores
        bias = dict(rows=self.relative_buckets, dim=self.num_heads, max_distance=self.relative_max_distance)
        return encoder_decoder(
            self.vocab_size, enc, dec, self.num_layers, self.num_decoder_layers, tied=self.tie_embeddings,
            source_parts={"enc_rel_bias": RelativeBiasSpec(**bias, bidirectional=True)},
            target_parts={"dec_rel_bias": RelativeBiasSpec(**bias, bidirectional=False)},
        )


def from_hf(f, architecture: str = "T5ForConditionalGeneration") -> ArchConfig:
    f.architecture_is(architecture)
    # "relu" (T5), "gated-gelu" (T5 v1.1, Flan-T5: GeGLU with the tanh GELU), "gated-silu"
    proj = f.data.get("feed_forward_proj") or "relu"
    parts = proj.split("-")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
        raise f.fail("feed_forward_proj", f"'{proj}' must be '<act>' or 'gated-<act>'")
    act = "gelu_new" if proj == "gated-gelu" else parts[-1]
    if act not in f.ACTIVATIONS:
        raise f.fail("feed_forward_proj", f"'{proj}': activation '{act}' is not modelled")
    f.names["activation"] = "feed_forward_proj"
    layers = f.int("num_layers", to="num_layers")
    # transformers 5 always ties T5's (and mT5's) embeddings and keeps the flag only to
    # decide whether to rescale decoder outputs; the v1.1, Flan-T5 and mT5 checkpoints ship
    # a separate LM head, so tfcli follows the file (untied = one more vocab × d_model matrix)
    return T5Config(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("d_model", to="d_model"),
        num_layers=layers,
        num_decoder_layers=f.int("num_decoder_layers", layers, to="num_decoder_layers"),
        num_heads=f.int("num_heads", to="num_heads"),
        head_dim=f.int("d_kv", 64, to="head_dim"),
        ffn_dim=f.int("d_ff", to="ffn_dim"),
        activation=f.ACTIVATIONS[act],
        gated=len(parts) == 2,
        relative_buckets=f.int("relative_attention_num_buckets", 32, to="relative_buckets"),
        relative_max_distance=f.int("relative_attention_max_distance", 128, to="relative_max_distance"),
        norm_eps=f.float("layer_norm_epsilon", 1e-6),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


def from_hf_mt5(f) -> ArchConfig:
    """mT5 is T5 v1.1 with a 250k multilingual vocabulary: the same modules."""
    return from_hf(f, "MT5ForConditionalGeneration")


def _v1_1(**sizes) -> T5Config:
    """T5 v1.1 (and Flan-T5, mT5): gated GELU, no dropout in pre-training, a separate LM head."""
    return T5Config(activation="gelu_tanh", gated=True, tie_embeddings=False, **sizes)


_REF = "transformers T5ForConditionalGeneration ({}), shared embedding tied to the LM head"
# transformers 5 ties every T5's head to the shared table whatever the file says, which
# drops the checkpoint's own lm_head; 4.46 builds it as the checkpoint stores it
_REF_UNTIED = "transformers 4.46.3 {} ({}) from its config.json, untied lm_head as in the checkpoint"
_BASE = dict(d_model=768, num_layers=12, num_decoder_layers=12, num_heads=12, ffn_dim=2048)
_SMALL = dict(d_model=512, num_layers=8, num_decoder_layers=8, num_heads=6, ffn_dim=1024)

FAMILY = register(Family(
    "t5",
    T5Config,
    builder="tfcli.models.t5:T5Model",
    kind="encoder-decoder",
    modality=Modality.TEXT,
    description="encoder-decoder with relative position bias, text-to-text span corruption",
    presets=(
        Preset("t5-small", T5Config, params=60_506_624, macs=8_055_160_832,
               aliases=("t5", "google-t5/t5-small"), reference=_REF.format("t5-small")),
        Preset("t5-base",
               lambda: T5Config(d_model=768, num_layers=12, num_decoder_layers=12, num_heads=12, ffn_dim=3072),
               params=222_903_552, macs=29_461_905_408, aliases=("google-t5/t5-base",), reference=_REF.format("t5-base")),
        Preset("t5-large",
               lambda: T5Config(d_model=1024, num_layers=24, num_decoder_layers=24, num_heads=16, ffn_dim=4096),
               params=737_668_096, macs=96_901_267_456, aliases=("google-t5/t5-large",),
               reference=_REF.format("t5-large")),
        Preset("t5-v1_1-base", lambda: _v1_1(**_BASE), params=247_577_856, macs=29_461_905_408,
               aliases=("google/t5-v1_1-base",),
               reference=_REF_UNTIED.format("T5ForConditionalGeneration", "google/t5-v1_1-base")),
        Preset("flan-t5-base", lambda: _v1_1(**_BASE), params=247_577_856, macs=29_461_905_408,
               aliases=("google/flan-t5-base", "flan-t5"),
               reference=_REF_UNTIED.format("T5ForConditionalGeneration", "google/flan-t5-base")),
        Preset("mt5-small", lambda: _v1_1(vocab_size=250112, **_SMALL), params=300_176_768, macs=22_344_237_056,
               aliases=("google/mt5-small", "mt5"),
               reference=_REF_UNTIED.format("MT5ForConditionalGeneration", "google/mt5-small")),
    ),
    facts=FamilyFacts(
            "T5",
            Text("span corruption (text-to-text denoising)", "片段遮蔽还原（span corruption，text-to-text 去噪）"),
            Text("translation, summarisation, QA, any task phrased as text-to-text", "翻译、摘要、问答，以及所有可写成 text-to-text 的任务"),
            Text(
                "every task is input text → output text, which is exactly what an encoder-decoder maps; "
                "relative position biases let it take any length",
                "所有任务都写成「输入文字→输出文字」，正是 Encoder-Decoder 的映射；相对位置偏置让它能处理任意长度",
            ),
        ),
    hf_mappers={"t5": from_hf, "mt5": from_hf_mt5},
))
