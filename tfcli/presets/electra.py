"""ELECTRA: a BERT-like encoder pre-trained as a discriminator (which tokens did a small
generator replace?) rather than a generator. Its embeddings may be narrower than the encoder
(embedding_size, projected up by embeddings_project); no pooler; the discriminator head is a
dense → act → 1 per token, the classification head a dense → gelu → out over [CLS]."""

from dataclasses import dataclass
from typing import ClassVar

from tfcli.presets.bert import BertConfig, DenseHeadSpec, bert_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout

# head → (transformers class suffix, whether that class keeps the pooler): ELECTRA has none
ELECTRA_HEADS = {
    "none": ("Model", False),
    "pretraining": ("ForPreTraining", False),  # the discriminator: replaced or original, per token
    "masked-lm": ("ForMaskedLM", False),  # the generator's head: dense d→e, gelu, LayerNorm(e), e→vocab (tied)
    "sequence-classification": ("ForSequenceClassification", False),  # dense → gelu → out_proj over [CLS]
    "token-classification": ("ForTokenClassification", False),
    "question-answering": ("ForQuestionAnswering", False),
}


@dataclass
class ElectraConfig(BertConfig):
    """BertConfig's fields with google/electra-base-discriminator's values (ElectraForPreTraining)."""

    embed_dim: int = 768  # embedding_size (electra-small: 128, projected up to 256)
    pooler: bool = False
    head: str = "pretraining"

    HEADS: ClassVar[dict[str, tuple[str, bool]]] = ELECTRA_HEADS
    dense_head: ClassVar[str] = "gelu"
    mlm_activation: ClassVar[str] = "gelu"  # ElectraGeneratorPredictions applies gelu whatever hidden_act says

    def add_heads(self, layout: Layout) -> None:
        if self.head == "pretraining":  # ElectraDiscriminatorPredictions: dense, hidden_act, dense_prediction
            layout.add("classifier", DenseHeadSpec(self.d_model, 1, self.activation))
            return
        super().add_heads(layout)


def from_hf(f) -> ArchConfig:
    return bert_fields(f, ElectraConfig, "Electra", "ELECTRA", embed_dim=f.int("embedding_size", 128, to="embed_dim"))


_REF = "transformers ElectraForPreTraining ({}: the discriminator head)"

FAMILY = register(Family(
    "electra",
    ElectraConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="encoder pre-trained to detect replaced tokens; narrow embeddings projected up",
    presets=(
        Preset("electra-base", ElectraConfig, params=109_483_009, macs=11_261_509_632,
               aliases=("electra", "electra-base-discriminator", "google/electra-base-discriminator"),
               reference=_REF.format("google/electra-base-discriminator")),
        Preset("electra-small",
               lambda: ElectraConfig(d_model=256, num_heads=4, ffn_dim=1024, embed_dim=128),
               params=13_549_057, macs=1_325_252_608,
               aliases=("electra-small-discriminator", "google/electra-small-discriminator"),
               reference=_REF.format("google/electra-small-discriminator")),
    ),
    facts=FamilyFacts(
        "ELECTRA",
        Text("replaced-token detection: a small MLM generator corrupts tokens, the encoder tells which were replaced",
             "替换词侦测：小型 MLM 生成器替换部分 token，Encoder 判断每个 token 是否被替换"),
        Text("classification, tagging, extractive QA at a small compute budget", "以较少算力做分类、序列标注、抽取式问答"),
        Text(
            "the loss covers every token, not only the 15% masked ones, so the same bidirectional encoder "
            "learns more per step than BERT",
            "损失涵盖所有 token 而不只是被遮蔽的 15%，因此同样的双向 Encoder 每一步学到更多",
        ),
    ),
    hf_mappers={"electra": from_hf},
))
