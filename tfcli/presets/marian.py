"""Marian (OPUS-MT): the original Transformer for translation as transformers builds it:
post-norm, stored sinusoidal positions, embeddings × √d, shared or separate vocabularies."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets._text import SinusoidalSpec, check_attention, check_choices, encoder_decoder
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, InputShape, Layout, ResolvedInput, block_spec


@dataclass
class MarianConfig(ArchConfig):
    vocab_size: int = 58101
    decoder_vocab_size: int = 0  # 0: source, target and head share one table; else the decoder's own
    d_model: int = 512
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 8
    ffn_dim: int = 2048
    max_positions: int = 512  # rows of each stack's stored sinusoid table
    activation: str = "silu"
    scale_embedding: bool = True  # token embeddings × √d_model before the positions are added
    norm_eps: float = 1e-5

    zero_ok: ClassVar[tuple[str, ...]] = ("decoder_vocab_size",)
    encoder_decoder: ClassVar[bool] = True
    pre_norm: ClassVar[bool] = False  # Marian is post-norm without final norms; Pegasus overrides

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        x = super().resolve_input(shape)
        longest = max(x.seq_len or 0, x.tgt_len or 0)
        if longest > self.max_positions:
            x.notes.append(f"sequence length {longest} exceeds the stored sinusoid table ({self.max_positions}); "
                           "positions past it wrap around (transformers' table has no row for them)")
        return x

    def layout(self) -> Layout:
        d = self.d_model
        kw = dict(activation=self.activation, norm_eps=self.norm_eps, pre_norm=self.pre_norm)
        enc = block_spec(d, self.num_heads, self.ffn_dim, **kw)
        dec = block_spec(d, self.num_heads, self.ffn_dim, **kw, causal=True, cross_dim=d)
        # each stack keeps its own frozen table of sines | cosines (transformers counts both)
        positions = SinusoidalSpec(d, stored=self.max_positions, halves=True)
        return encoder_decoder(
            self.vocab_size, enc, dec, self.num_layers, self.num_decoder_layers,
            source_parts={"enc_positions": positions}, target_parts={"dec_positions": positions},
            target_vocab=self.decoder_vocab_size or None,
        )


def read_bart_like(f, config_cls: type[MarianConfig], **extra) -> MarianConfig:
    """The fields Marian's and Pegasus' config.json share (BART's names); the mapper
    has checked the class and the flags transformers reads."""
    f.same("encoder_attention_heads", "decoder_attention_heads")
    f.same("encoder_ffn_dim", "decoder_ffn_dim")
    # untied, transformers keeps four separate vocabulary tables (shared, encoder, decoder, head)
    f.expect("tie_word_embeddings", True, "tfcli builds the tied head these checkpoints use")
    return config_cls(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("d_model", 1024, to="d_model"),
        num_layers=f.int("encoder_layers", 12, to="num_layers"),
        num_decoder_layers=f.int("decoder_layers", 12, to="num_decoder_layers"),
        num_heads=f.int("encoder_attention_heads", 16, to="num_heads"),
        ffn_dim=f.int("encoder_ffn_dim", 4096, to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 1024, to="max_positions"),
        activation=f.activation("activation_function", "gelu"),
        scale_embedding=f.bool("scale_embedding", False),
        **extra,
    )


def from_hf(f) -> ArchConfig:
    f.architecture_is("MarianMTModel")
    decoder_vocab = 0
    if f.bool("share_encoder_decoder_embeddings", True):
        f.same("vocab_size", "decoder_vocab_size")
    elif f.data.get("decoder_vocab_size") is not None:
        decoder_vocab = f.int("decoder_vocab_size", to="decoder_vocab_size")
    else:
        decoder_vocab = f.int("vocab_size")
    return read_bart_like(f, MarianConfig, decoder_vocab_size=decoder_vocab)


_REF = ("transformers 5.24 MarianMTModel ({}): sinusoid tables stored as frozen parameters (counted), "
        "final_logits_bias a buffer (not counted), head tied to the shared table")

FAMILY = register(Family(
    "marian",
    MarianConfig,
    builder="tfcli.models.marian:MarianModel",
    kind="encoder-decoder",
    modality=Modality.TEXT,
    description="OPUS-MT translation: post-norm encoder-decoder, sinusoidal positions, shared vocabulary",
    presets=(
        Preset("opus-mt-en-de", MarianConfig, params=74_410_496, macs=9_756_672_000,
               aliases=("marian", "Helsinki-NLP/opus-mt-en-de"), reference=_REF.format("Helsinki-NLP/opus-mt-en-de")),
    ),
    facts=FamilyFacts(
        "Marian (OPUS-MT)",
        Text("supervised translation on OPUS parallel corpora", "以 OPUS 平行语料做监督式翻译"),
        Text("machine translation, one model per language pair", "机器翻译，每个语言对一个模型"),
        Text(
            "the base Transformer of Vaswani et al., small enough to train per language pair: "
            "the encoder reads the source, the decoder writes the translation",
            "就是 Vaswani 等人的 base Transformer，小到可以为每个语言对各训练一个：Encoder 读原文，Decoder 写译文",
        ),
    ),
    hf_mappers={"marian": from_hf},
))
