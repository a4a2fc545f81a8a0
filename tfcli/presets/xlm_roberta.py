"""XLM-RoBERTa: RoBERTa trained on 100 languages (CommonCrawl) with a 250k SentencePiece
vocabulary; the same encoder, offset positions and heads."""

from dataclasses import dataclass

from tfcli.presets.roberta import RobertaConfig, roberta_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig


@dataclass
class XLMRobertaConfig(RobertaConfig):
    """RobertaConfig's fields with xlm-roberta-base's values (XLMRobertaForMaskedLM)."""

    vocab_size: int = 250002


def from_hf(f) -> ArchConfig:
    return roberta_fields(f, XLMRobertaConfig, "XLMRoberta", "XLM-RoBERTa")


_REF = "transformers XLMRobertaForMaskedLM ({}; the LM head tied to the token table)"

FAMILY = register(Family(
    "xlm-roberta",
    XLMRobertaConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="multilingual RoBERTa (100 languages, 250k-token vocabulary)",
    presets=(
        Preset("xlm-roberta-base", XLMRobertaConfig, params=278_295_186, macs=35_838_099_456,
               aliases=("xlm-roberta", "xlmr-base", "FacebookAI/xlm-roberta-base"),
               reference=_REF.format("xlm-roberta-base")),
        Preset("xlm-roberta-large",
               lambda: XLMRobertaConfig(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096),
               params=560_142_482, macs=72_395_259_904,
               aliases=("xlmr-large", "FacebookAI/xlm-roberta-large"), reference=_REF.format("xlm-roberta-large")),
    ),
    facts=FamilyFacts(
        "XLM-RoBERTa",
        Text("multilingual masked language modelling (100 languages, 2.5 TB of CommonCrawl)",
             "多语言遮蔽语言模型（100 种语言、2.5 TB CommonCrawl）"),
        Text("cross-lingual classification, NER and QA; multilingual embeddings",
             "跨语言分类、命名实体识别与问答；多语言表征"),
        Text(
            "one RoBERTa encoder shared by all languages: a 250k-token vocabulary makes the embedding "
            "table most of the parameters, and no language id is needed",
            "所有语言共用一个 RoBERTa Encoder：25 万词表使嵌入表占了大部分参数，且不需要语言标记",
        ),
    ),
    hf_mappers={"xlm-roberta": from_hf},
))
