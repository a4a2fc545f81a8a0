"""BERT: a bidirectional encoder pre-trained by masked language modelling, with the task
heads transformers puts on it (the class a checkpoint's `architectures` names)."""

from dataclasses import dataclass

from tfcli.presets._text import check_attention, check_choices
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import Layout, Linear, NormSpec, Part, StackSpec, Table, block_spec, one_of, require
from tfcli.spec import ArchConfig

# head → (transformers class suffix, whether that class keeps the pooler)
HEADS = {
    "none": ("Model", True),
    "masked-lm": ("ForMaskedLM", False),
    "sequence-classification": ("ForSequenceClassification", True),
    "token-classification": ("ForTokenClassification", False),
    "question-answering": ("ForQuestionAnswering", False),
    "pretraining": ("ForPreTraining", True),
    "next-sentence": ("ForNextSentencePrediction", True),
    "multiple-choice": ("ForMultipleChoice", True),
}


@dataclass(frozen=True)
class MLMHeadSpec(Part):
    """dense d→d, activation, LayerNorm, then the vocabulary projection: tied to the token
    table, with its own bias."""

    d_model: int
    vocab_size: int
    norm_eps: float = 1e-12

    def num_params(self) -> int:
        return self.d_model * self.d_model + self.d_model + 2 * self.d_model + self.vocab_size

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("heads", rows, self.d_model, self.d_model, times)
        t.norm(rows * self.d_model, times)
        t.linear("heads", rows, self.d_model, self.vocab_size, times)


@dataclass
class BertConfig(ArchConfig):
    vocab_size: int = 30522
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 512
    type_vocab_size: int = 2  # segment A/B embeddings
    activation: str = "gelu"
    norm_eps: float = 1e-12
    pooler: bool = True  # dense + tanh over the final [CLS] state
    head: str = "none"  # a task head (see HEADS); "none" is transformers' BertModel
    num_labels: int = 2  # classes of a classification head

    learned_positions = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        one_of(self.family, "head", self.head, tuple(HEADS))
        require(
            self.pooler or self.head not in ("sequence-classification", "pretraining", "next-sentence", "multiple-choice"),
            self.family, f"the '{self.head}' head reads the pooled [CLS] state: set pooler=true",
        )

    def layout(self) -> Layout:
        d = self.d_model
        block = block_spec(d, self.num_heads, self.ffn_dim, activation=self.activation,
                           norm_eps=self.norm_eps, pre_norm=False)
        layout = (
            Layout()
            .add("tokens", Table(self.vocab_size, d))
            .add("positions", Table(self.max_positions, d))
            .add("segments", Table(self.type_vocab_size, d))
            .add("embed_norm", NormSpec("layer", d, self.norm_eps))
            .add("encoder", StackSpec(block, self.num_layers))
        )
        if self.pooler:
            layout.add("pooler", Linear(d, d), rows="one")  # [CLS] only
        if self.head in ("masked-lm", "pretraining"):
            layout.add("mlm_head", MLMHeadSpec(d, self.vocab_size, self.norm_eps))
        labels = {"sequence-classification": self.num_labels, "next-sentence": 2, "pretraining": 2,
                  "multiple-choice": 1}
        if self.head in labels:  # reads the pooled [CLS]
            layout.add("classifier", Linear(d, labels[self.head]), rows="one")
        if self.head in ("token-classification", "question-answering"):  # every token
            out = self.num_labels if self.head == "token-classification" else 2  # start/end logits
            layout.add("classifier", Linear(d, out))
        return layout


def from_hf(f) -> ArchConfig:
    f.expect("position_embedding_type", "absolute", "tfcli's BERT has learned absolute positions")
    f.expect("add_cross_attention", False, "tfcli's BERT is an encoder")
    f.expect("is_decoder", False, "tfcli's BERT is an encoder")
    head = f.head_from_architecture("Bert", {suffix: h for h, (suffix, _) in HEADS.items()}, default="none")
    return BertConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("hidden_size", to="d_model"),
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=f.int("num_attention_heads", to="num_heads"),
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 512, to="max_positions"),
        type_vocab_size=f.int("type_vocab_size", 2, to="type_vocab_size"),
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-12),
        pooler=HEADS[head][1],
        head=head,
        num_labels=f.num_labels(),
    )


_REF = "transformers BertModel with pooler ({})"

FAMILY = register(Family(
    "bert",
    BertConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="bidirectional encoder, masked-language-model pre-training",
    presets=(
        Preset("bert-base", BertConfig, params=109_482_240, macs=11_186_503_680,
               aliases=("bert", "bert-base-uncased", "google-bert/bert-base-uncased"),
               reference=_REF.format("bert-base-uncased")),
        Preset("bert-large", lambda: BertConfig(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096),
               params=335_141_888, macs=39_493_173_248,
               aliases=("bert-large-uncased", "google-bert/bert-large-uncased"),
               reference=_REF.format("bert-large-uncased")),
    ),
    facts=FamilyFacts(
        "BERT",
        Text("masked language modelling (MLM) + next-sentence prediction", "遮蔽語言模型 (MLM) + 下一句預測 (NSP)"),
        Text("classification, tagging, extractive QA, embeddings", "句子分類、序列標註、抽取式問答、語義表徵"),
        Text(
            "understanding, not generation: every token sees the whole sentence in both directions, "
            "so no decoder and no causal mask are needed",
            "重點是「理解」而非生成：每個 token 雙向看到整句，因此不需要 Decoder，也不需要因果遮罩",
        ),
    ),
    hf_mappers={"bert": from_hf},
))
