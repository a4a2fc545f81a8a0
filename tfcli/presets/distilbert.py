"""DistilBERT: BERT-base distilled into half the layers (6), with no segment embeddings and
no pooler; its classifiers put a dense + ReLU (pre_classifier) before the output layer."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets.bert import BertConfig
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig

# head → (transformers class suffix, whether that class keeps the pooler): DistilBERT has none
DISTILBERT_HEADS = {
    "none": ("Model", False),
    "masked-lm": ("ForMaskedLM", False),  # vocab_transform, vocab_layer_norm, vocab_projector (tied)
    "sequence-classification": ("ForSequenceClassification", False),  # pre_classifier → ReLU → classifier
    "token-classification": ("ForTokenClassification", False),
    "question-answering": ("ForQuestionAnswering", False),
    "multiple-choice": ("ForMultipleChoice", False),
}


@dataclass
class DistilBertConfig(BertConfig):
    """BertConfig's fields with distilbert-base-uncased's values (DistilBertForMaskedLM)."""

    num_layers: int = 6
    type_vocab_size: int = 0
    pooler: bool = False
    head: str = "masked-lm"

    HEADS: ClassVar[dict[str, tuple[str, bool]]] = DISTILBERT_HEADS
    dense_head: ClassVar[str] = "relu"


def from_hf(f) -> ArchConfig:
    if f.bool("sinusoidal_pos_embds", False):
        f.note("sinusoidal_pos_embds", "the position table is filled with fixed sinusoids and frozen; "
               "transformers still holds it as a parameter, so it is counted")
    heads = DistilBertConfig.HEADS
    head = f.head_from_architecture("DistilBert", {suffix: h for h, (suffix, _) in heads.items()}, default="none")
    return DistilBertConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("dim", to="d_model"),
        num_layers=f.int("n_layers", to="num_layers"),
        num_heads=f.int("n_heads", to="num_heads"),
        ffn_dim=f.int("hidden_dim", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 512, to="max_positions"),
        activation=f.activation("activation", "gelu"),
        norm_eps=1e-12,  # transformers' DistilBERT hard-codes it
        pooler=False,
        head=head,
        num_labels=f.num_labels(),
    )


FAMILY = register(Family(
    "distilbert",
    DistilBertConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="BERT distilled to 6 layers: no segment embeddings, no pooler",
    presets=(
        Preset("distilbert-base", DistilBertConfig, params=66_985_530, macs=8_669_626_368,
               aliases=("distilbert", "distilbert-base-uncased", "distilbert/distilbert-base-uncased"),
               reference="transformers DistilBertForMaskedLM (distilbert-base-uncased; vocab_projector tied)"),
    ),
    facts=FamilyFacts(
        "DistilBERT",
        Text("knowledge distillation from BERT-base (soft targets + MLM + cosine loss on the hidden states)",
             "从 BERT-base 知识蒸馏（软标签 + MLM + 隐藏状态余弦损失）"),
        Text("fast classification, tagging and QA on small hardware", "在小型硬件上快速做分类、标注与问答"),
        Text(
            "the same bidirectional encoder with half the layers: a student keeps most of the teacher's "
            "accuracy at 60% of the size and faster inference",
            "相同的双向 Encoder、层数减半：学生模型以 60% 的大小保留老师大部分的准确率，推论更快",
        ),
    ),
    hf_mappers={"distilbert": from_hf},
))
