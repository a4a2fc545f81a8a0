"""BART: a BERT-like encoder with a GPT-like decoder, denoising pre-training."""

from dataclasses import dataclass

from tfcli.presets._text import check_attention, check_choices, encoder_decoder
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, NormSpec, Table, block_spec


@dataclass
class BartConfig(ArchConfig):
    vocab_size: int = 50265
    d_model: int = 768
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 1024
    position_offset: int = 2  # BART's learned table keeps 2 rows before position 0
    activation: str = "gelu"
    norm_eps: float = 1e-5
    lm_head: bool = True  # false: transformers' BartModel (the decoder's hidden states, no logits)

    encoder_decoder = True
    learned_positions = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def layout(self) -> Layout:
        d = self.d_model
        enc = block_spec(d, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps,
                         pre_norm=False)
        dec = block_spec(d, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps,
                         pre_norm=False, causal=True, cross_dim=d)
        positions = Table(self.max_positions + self.position_offset, d, lookup="positions")  # 2 rows kept before position 0
        return encoder_decoder(
            self.vocab_size, enc, dec, self.num_layers, self.num_decoder_layers,
            source_parts={"enc_positions": positions}, target_parts={"dec_positions": positions},
            embed_norms=NormSpec("layer", d, self.norm_eps), lm_head=self.lm_head,
        )


def from_hf(f) -> ArchConfig:
    f.architecture_is("BartForConditionalGeneration", "BartModel")
    f.same("encoder_attention_heads", "decoder_attention_heads")
    f.same("encoder_ffn_dim", "decoder_ffn_dim")
    f.expect("normalize_before", False, "tfcli's BART is post-norm (mBART's pre-norm is not a preset)")
    f.expect("add_final_layer_norm", False, "tfcli's BART has no final layer norms")
    f.expect("tie_word_embeddings", True, "tfcli's BART ties the LM head to the shared embedding")
    return BartConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("d_model", to="d_model"),
        num_layers=f.int("encoder_layers", to="num_layers"),
        num_decoder_layers=f.int("decoder_layers", to="num_decoder_layers"),
        num_heads=f.int("encoder_attention_heads", to="num_heads"),
        ffn_dim=f.int("encoder_ffn_dim", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 1024, to="max_positions"),
        activation=f.activation("activation_function", "gelu"),
        lm_head=f.architecture() != "BartModel",
    )



_REF = "transformers BartForConditionalGeneration ({}), shared embedding tied to the LM head"

FAMILY = register(Family(
    "bart",
    BartConfig,
    builder="tfcli.models.bart:BartModel",
    kind="encoder-decoder",
    modality=Modality.TEXT,
    description="bidirectional encoder + causal decoder, denoising pre-training",
    presets=(
        Preset("bart-base", BartConfig, params=139_420_416, macs=18_093_539_328,
               aliases=("bart", "facebook/bart-base"), reference=_REF.format("facebook/bart-base")),
        Preset("bart-large",
               lambda: BartConfig(d_model=1024, num_layers=12, num_decoder_layers=12, num_heads=16, ffn_dim=4096),
               params=406_291_456, macs=52_934_082_560, aliases=("facebook/bart-large",),
               reference=_REF.format("facebook/bart-large")),
    ),
    facts=FamilyFacts(
            "BART",
            Text("denoising autoencoder (text infilling, sentence permutation)", "去噪自编码（文本填空、句子重排）"),
            Text("summarisation, generation from a document, translation", "摘要、根据文档生成、翻译"),
            Text(
                "a BERT-like bidirectional encoder to understand the corrupted input plus a GPT-like "
                "decoder to regenerate it: understanding and generation in one model",
                "类似 BERT 的双向 Encoder 理解被破坏的输入，加上类似 GPT 的 Decoder 重新生成：理解与生成兼具",
            ),
        ),
    hf_mappers={"bart": from_hf},
))
