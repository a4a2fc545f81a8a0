"""RoBERTa: BERT's encoder re-trained (more data, dynamic masking, no next-sentence task, a
byte-level BPE vocabulary). Its position table keeps padding_idx + 1 = 2 rows before position
0, it has a single segment row, and its classification head is a dense → tanh → out block over
<s> instead of the pooler."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets.bert import BertConfig, bert_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig

# head → (transformers class suffix, whether that class keeps the pooler)
ROBERTA_HEADS = {
    "none": ("Model", True),
    "masked-lm": ("ForMaskedLM", False),
    "sequence-classification": ("ForSequenceClassification", False),  # dense → tanh → out_proj over <s>
    "token-classification": ("ForTokenClassification", False),
    "question-answering": ("ForQuestionAnswering", False),
    "multiple-choice": ("ForMultipleChoice", True),
}


@dataclass
class RobertaConfig(BertConfig):
    """BertConfig's fields with roberta-base's values (the checkpoint names RobertaForMaskedLM)."""

    vocab_size: int = 50265
    type_vocab_size: int = 1
    norm_eps: float = 1e-5
    pooler: bool = False
    head: str = "masked-lm"
    position_offset: int = 2  # padding_idx (1) + 1: positions count from 2

    HEADS: ClassVar[dict[str, tuple[str, bool]]] = ROBERTA_HEADS
    dense_head: ClassVar[str] = "tanh"
    mlm_activation: ClassVar[str] = "gelu"  # RobertaLMHead applies gelu whatever hidden_act says


def roberta_fields(f, cls: type[RobertaConfig], prefix: str, name: str) -> RobertaConfig:
    """RoBERTa's table has max_position_embeddings rows, the first pad_token_id + 1 of them
    before position 0."""
    offset = f.int("pad_token_id", 1, zero_ok=True) + 1
    rows = f.int("max_position_embeddings", 514, to="max_positions")
    if rows <= offset:
        raise f.fail("max_position_embeddings", f"({rows}) must exceed pad_token_id + 1 ({offset}): "
                     "RoBERTa's positions start after the padding index")
    return bert_fields(f, cls, prefix, name, max_positions=rows - offset, position_offset=offset)


def from_hf(f) -> ArchConfig:
    return roberta_fields(f, RobertaConfig, "Roberta", "RoBERTa")


_REF = "transformers RobertaForMaskedLM ({}; the LM head tied to the token table)"

FAMILY = register(Family(
    "roberta",
    RobertaConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="BERT re-trained robustly: byte-level BPE, no next-sentence task, offset positions",
    presets=(
        Preset("roberta-base", RobertaConfig, params=124_697_433, macs=16_203_153_408,
               aliases=("roberta", "FacebookAI/roberta-base"), reference=_REF.format("roberta-base")),
        Preset("roberta-large", lambda: RobertaConfig(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096),
               params=355_412_057, macs=46_215_331_840,
               aliases=("FacebookAI/roberta-large",), reference=_REF.format("roberta-large")),
    ),
    facts=FamilyFacts(
        "RoBERTa",
        Text("masked language modelling only (dynamic masking, no next-sentence prediction)",
             "仅遮蔽语言模型（动态遮蔽，去掉下一句预测）"),
        Text("classification, tagging, extractive QA, sentence embeddings", "句子分类、序列标注、抽取式问答、句向量"),
        Text(
            "BERT's architecture unchanged: the gains come from training longer on more data with bigger "
            "batches and dynamic masking, so the encoder is the same bidirectional stack",
            "结构与 BERT 相同：提升来自更多数据、更长训练、更大批量与动态遮蔽，Encoder 仍是同样的双向堆叠",
        ),
    ),
    hf_mappers={"roberta": from_hf},
))
