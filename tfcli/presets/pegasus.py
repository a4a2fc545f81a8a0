"""Pegasus: a pre-norm encoder-decoder with final norms, stored sinusoidal positions,
pre-trained by generating the document's removed sentences (gap sentences)."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets.marian import MarianConfig, read_bart_like
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig


@dataclass
class PegasusConfig(MarianConfig):
    """Marian's modules in pre-norm order, each stack closed by a LayerNorm."""

    vocab_size: int = 96103
    d_model: int = 1024
    num_layers: int = 16
    num_decoder_layers: int = 16
    num_heads: int = 16
    ffn_dim: int = 4096
    max_positions: int = 512
    activation: str = "relu"

    pre_norm: ClassVar[bool] = True


def from_hf(f) -> ArchConfig:
    f.architecture_is("PegasusForConditionalGeneration")
    return read_bart_like(f, PegasusConfig)


_REF = ("transformers 5.24 PegasusForConditionalGeneration ({}): sinusoid tables stored as frozen "
        "parameters (counted), final_logits_bias a buffer (not counted), head tied to the shared table")

FAMILY = register(Family(
    "pegasus",
    PegasusConfig,
    builder="tfcli.models.marian:MarianModel",
    kind="encoder-decoder",
    modality=Modality.TEXT,
    description="abstractive summarisation: pre-norm encoder-decoder, gap-sentence pre-training",
    presets=(
        Preset("pegasus-xsum", PegasusConfig, params=569_748_480, macs=74_390_306_816,
               aliases=("pegasus", "google/pegasus-xsum"), reference=_REF.format("google/pegasus-xsum")),
    ),
    facts=FamilyFacts(
        "Pegasus",
        Text("gap-sentence generation: write the sentences removed from a document", "间隔句生成：写出从文档中移除的句子"),
        Text("abstractive summarisation", "生成式摘要"),
        Text(
            "removing whole sentences and generating them from the rest is close to summarising, so "
            "the encoder-decoder learns the task it will be used for",
            "移除整句再根据其余内容生成它们，与摘要非常接近，所以 Encoder-Decoder 预训练时就在学将来的任务",
        ),
    ),
    hf_mappers={"pegasus": from_hf},
))
