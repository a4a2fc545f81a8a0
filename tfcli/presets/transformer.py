"""The original Transformer (Vaswani et al. 2017): post-norm encoder-decoder, sinusoidal positions."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets._text import SinusoidalSpec, check_attention, check_choices, encoder_decoder
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, block_spec


@dataclass
class TransformerConfig(ArchConfig):
    vocab_size: int = 37000  # shared source/target BPE vocabulary (WMT En-De)
    d_model: int = 512
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 8
    ffn_dim: int = 2048
    activation: str = "relu"
    norm_eps: float = 1e-6

    encoder_decoder: ClassVar[bool] = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def layout(self) -> Layout:
        # one embedding matrix, shared by encoder input, decoder input and the output
        # projection (no output bias); positions are sinusoidal, so they add nothing
        enc = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                         norm_eps=self.norm_eps, pre_norm=False)
        dec = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                         norm_eps=self.norm_eps, pre_norm=False, causal=True, cross_dim=self.d_model)
        return encoder_decoder(self.vocab_size, enc, dec, self.num_layers, self.num_decoder_layers,
                               source_parts={"positions": SinusoidalSpec(self.d_model)})  # both stacks


_REF = "paper's {} (Vaswani et al. 2017, Table 3): tied 37000-token embeddings, no output bias, no final norms"

FAMILY = register(Family(
    "transformer",
    TransformerConfig,
    builder="tfcli.models.transformer:Transformer",
    kind="encoder-decoder",
    modality=Modality.TEXT,
    description="the original encoder-decoder for translation (Attention Is All You Need)",
    presets=(
        Preset("transformer-base", TransformerConfig, params=63_082_496, macs=8_373_796_864,
               aliases=("transformer", "vaswani-base"), reference=_REF.format("65M")),
        Preset("transformer-big", lambda: TransformerConfig(d_model=1024, num_heads=16, ffn_dim=4096),
               params=214_245_376, macs=28_021_882_880, aliases=("vaswani-big",), reference=_REF.format("213M")),
    ),
    facts=FamilyFacts(
        "Transformer (Vaswani et al. 2017)",
        Text("supervised translation (next target token given the source)", "监督式翻译（给定原文预测下一个目标 token）"),
        Text("machine translation, sequence-to-sequence", "机器翻译、序列到序列 (Seq2Seq)"),
        Text(
            "maps an input sequence to an output sequence: the encoder reads the whole source, "
            "the decoder generates the target token by token while cross-attending to it",
            "输入→输出映射：Encoder 先完整理解原文，Decoder 逐个 token 生成译文，并透过 encoder-decoder attention 读取 Encoder 的输出",
        ),
    ),
))
