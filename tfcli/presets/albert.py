"""ALBERT: "A Lite BERT". Two parameter savings on BERT's encoder: factorised embeddings
(a narrow table, embedding_size 128, projected up to the hidden width) and ONE layer whose
parameters serve every depth (counted once; its MACs once per use), plus a sentence-order
prediction task instead of next-sentence prediction."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets.bert import HEADS, SEQUENCE_HEADS, BertConfig, bert_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig

# head → (transformers class suffix, whether that class keeps the pooler)
ALBERT_HEADS = {h: HEADS[h] for h in ("none", "masked-lm", "sequence-classification", "token-classification",
                                      "question-answering", "pretraining", "multiple-choice")}


@dataclass
class AlbertConfig(BertConfig):
    """BertConfig's fields with albert-base-v2's values (AlbertForMaskedLM)."""

    vocab_size: int = 30000
    embed_dim: int = 128
    activation: str = "gelu_tanh"  # gelu_new
    pooler: bool = False
    head: str = "masked-lm"

    HEADS: ClassVar[dict[str, tuple[str, bool]]] = ALBERT_HEADS
    shared_layers: ClassVar[bool] = True
    # AlbertSOPHead: sentence-order prediction over the pooled state, num_labels outputs
    SEQUENCE_OUTPUTS: ClassVar[dict[str, int | None]] = {**SEQUENCE_HEADS, "pretraining": None}


def from_hf(f) -> ArchConfig:
    f.expect("num_hidden_groups", 1, "tfcli builds one shared layer group")
    f.expect("inner_group_num", 1, "tfcli builds one layer per group")
    return bert_fields(f, AlbertConfig, "Albert", "ALBERT", embed_dim=f.int("embedding_size", 128, to="embed_dim"),
                       activation=f.activation("hidden_act", "gelu_new"))


_REF = "transformers AlbertForMaskedLM ({}; the decoder tied to the token table)"

FAMILY = register(Family(
    "albert",
    AlbertConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="BERT with factorised embeddings and one layer shared across depth",
    presets=(
        Preset("albert-base", AlbertConfig, params=11_221_680, macs=11_702_272_000,
               aliases=("albert", "albert-base-v2", "albert/albert-base-v2"),
               reference=_REF.format("albert-base-v2")),
        Preset("albert-large", lambda: AlbertConfig(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096),
               params=16_795_824, macs=40_016_707_584,
               aliases=("albert-large-v2", "albert/albert-large-v2"), reference=_REF.format("albert-large-v2")),
    ),
    facts=FamilyFacts(
        "ALBERT",
        Text("masked language modelling + sentence-order prediction (SOP)", "遮蔽语言模型 + 句序预测 (SOP)"),
        Text("classification, tagging, extractive QA with a small parameter budget", "以少量参数做分类、序列标注、抽取式问答"),
        Text(
            "the same bidirectional encoder, but one layer's weights are reused at every depth and the "
            "vocabulary table is narrow: 12× fewer encoder parameters, the same compute per token",
            "相同的双向 Encoder，但每一层重用同一组权重、词表嵌入较窄：Encoder 参数少 12 倍，每个 token 的计算量不变",
        ),
    ),
    hf_mappers={"albert": from_hf},
))
