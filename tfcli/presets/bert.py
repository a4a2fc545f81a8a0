"""BERT: a bidirectional encoder pre-trained by masked language modelling, with the task
heads transformers puts on it (the class a checkpoint's `architectures` names)."""

from dataclasses import dataclass
from typing import ClassVar

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
    """dense d→e, activation, LayerNorm over e, then the vocabulary projection e→vocab: tied
    to the token table, with its own bias. e is the embedding width (BERT: d; ALBERT and the
    ELECTRA generator project back down to their narrower embeddings)."""

    d_model: int
    vocab_size: int
    norm_eps: float = 1e-12
    embed_dim: int = 0  # 0: d_model

    @property
    def width(self) -> int:
        return self.embed_dim or self.d_model

    def num_params(self) -> int:
        e = self.width
        return self.d_model * e + e + 2 * e + self.vocab_size

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("heads", rows, self.d_model, self.width, times)
        t.norm(rows * self.width, times)
        t.linear("heads", rows, self.width, self.vocab_size, times)

    def add_saved(self, s, rows, context=None, times=1):
        # the dense's input, its output (the activation's), the norm's input and stats, its output
        s.add("heads", times * rows * (self.d_model + 3 * self.width))
        s.add("heads", times * rows * 2, "stat")


@dataclass(frozen=True)
class DenseHeadSpec(Part):
    """dense d→d, activation, then d→n_out: RoBERTa's and ELECTRA's classification heads
    (tanh, gelu), DistilBERT's pre_classifier + classifier (relu), ELECTRA's discriminator."""

    d_model: int
    n_out: int
    activation: str = "tanh"

    @property
    def input_dim(self) -> int:
        return self.d_model

    def num_params(self) -> int:
        return self.d_model * self.d_model + self.d_model + self.d_model * self.n_out + self.n_out

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("heads", rows, self.d_model, self.d_model, times)
        t.linear("heads", rows, self.d_model, self.n_out, times)

    def add_saved(self, s, rows, context=None, times=1):
        # the dense's input and the activation's output (the classifier's input); GELU keeps its input too
        s.add("heads", times * rows * self.d_model * (2 if self.activation in ("tanh", "relu") else 3))


# heads whose classifier reads one vector per sequence (the pooled or the first state)
SEQUENCE_HEADS = {"sequence-classification": None, "next-sentence": 2, "pretraining": 2, "multiple-choice": 1}


@dataclass
class BertConfig(ArchConfig):
    """BERT and the encoders built like it (RoBERTa, DistilBERT, ELECTRA, ALBERT subclass it):
    token + position (+ segment) tables, a LayerNorm, a post-norm bidirectional stack, the
    pooler and the task head `head` names."""

    vocab_size: int = 30522
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 512
    type_vocab_size: int = 2  # segment A/B embeddings; 0: no segment table (DistilBERT)
    activation: str = "gelu"
    norm_eps: float = 1e-12
    pooler: bool = True  # dense + tanh over the final [CLS] state
    head: str = "none"  # a task head (see HEADS); "none" is transformers' BertModel
    num_labels: int = 2  # classes of a classification head (and QA's start/end outputs)
    embed_dim: int = 0  # width of the embedding tables; 0: d_model (ALBERT, ELECTRA: narrower, projected up)
    position_offset: int = 0  # rows before position 0 (RoBERTa: padding_idx + 1 = 2)

    learned_positions = True
    zero_ok = ("embed_dim", "position_offset", "type_vocab_size")
    # head → (transformers class suffix, whether that class keeps the pooler)
    HEADS: ClassVar[dict[str, tuple[str, bool]]] = HEADS
    # the activation of a dense → act → out classifier over the first state, for the heads
    # whose class has no pooler (RoBERTa tanh, ELECTRA gelu, DistilBERT relu); "" = never
    dense_head: ClassVar[str] = ""
    mlm_activation: ClassVar[str] = ""  # "": the encoder's activation
    shared_layers: ClassVar[bool] = False  # ALBERT: one layer's parameters at every depth
    # outputs of the sequence-level heads (None: num_labels)
    SEQUENCE_OUTPUTS: ClassVar[dict[str, int | None]] = SEQUENCE_HEADS

    @property
    def embed_width(self) -> int:
        return self.embed_dim or self.d_model

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        one_of(self.family, "head", self.head, tuple(self.HEADS))
        reads_pooled = [h for h, (_, pooled) in self.HEADS.items() if pooled and h in self.SEQUENCE_OUTPUTS]
        require(
            self.pooler or self.head not in reads_pooled,
            self.family, f"the '{self.head}' head reads the pooled [CLS] state: set pooler=true",
        )
        require(self.pooler is False or self.HEADS["none"][1], self.family,
                f"transformers' {self.family} has no pooler: set pooler=false")

    def block(self):
        return block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                          norm_eps=self.norm_eps, pre_norm=False)

    def layout(self) -> Layout:
        d, e = self.d_model, self.embed_width
        layout = (
            Layout()
            .add("tokens", Table(self.vocab_size, e))
            .add("positions", Table(self.max_positions + self.position_offset, e, lookup="positions"))
        )
        if self.type_vocab_size:
            layout.add("segments", Table(self.type_vocab_size, e))
        layout.add("embed_norm", NormSpec("layer", e, self.norm_eps))
        if e != d:  # factorised embeddings: projected up to the encoder's width
            layout.add("embed_proj", Linear(e, d, category="embeddings"))
        layout.add("encoder", StackSpec(self.block(), self.num_layers, shared=self.shared_layers))
        self.add_heads(layout)
        return layout

    def add_heads(self, layout: Layout) -> None:
        d = self.d_model
        picks = layout.last_rows  # the [CLS] row of the encoder's output: a view of all of it
        if self.pooler:
            layout.add("pooler", Linear(d, d), rows="one", picks=picks)  # [CLS] only
        if self.head in ("masked-lm", "pretraining"):
            e = self.embed_width if self.embed_width != d else 0
            layout.add("mlm_head", MLMHeadSpec(d, self.vocab_size, self.norm_eps, e))
        if self.head in self.SEQUENCE_OUTPUTS:  # one vector per sequence
            n = self.SEQUENCE_OUTPUTS[self.head] or self.num_labels
            if self.HEADS[self.head][1]:  # the class keeps the pooler and classifies its output
                layout.add("classifier", Linear(d, n), rows="one")
            else:  # no pooler: a dense head over the first token's state
                layout.add("classifier", DenseHeadSpec(d, n, self.dense_head), rows="one",
                           picks=None if self.pooler else picks)
        if self.head in ("token-classification", "question-answering"):  # every token
            layout.add("classifier", Linear(d, self.num_labels))  # QA: num_labels = 2 (start, end)


def bert_fields(f, cls: type[BertConfig], prefix: str, name: str, **fixed) -> BertConfig:
    """The fields BERT-like config.json files share (BERT, RoBERTa, XLM-R, ELECTRA, ALBERT),
    the head `architectures` names (`<prefix><suffix>`), and the family's own `fixed` values."""
    f.expect("position_embedding_type", "absolute", f"tfcli's {name} has learned absolute positions")
    f.expect("add_cross_attention", False, f"tfcli's {name} is an encoder")
    f.expect("is_decoder", False, f"tfcli's {name} is an encoder")
    heads = cls.HEADS
    head = f.head_from_architecture(prefix, {suffix: h for h, (suffix, _) in heads.items()}, default="none")
    values = dict(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("hidden_size", to="d_model"),
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=f.int("num_attention_heads", to="num_heads"),
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 512, to="max_positions"),
        type_vocab_size=f.int("type_vocab_size", 2, to="type_vocab_size", zero_ok=True),
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-12),
        pooler=heads[head][1],
        head=head,
        num_labels=f.num_labels(),
    )
    values.update(fixed)
    return cls(**values)


def from_hf(f) -> ArchConfig:
    return bert_fields(f, BertConfig, "Bert", "BERT")


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
        Text("masked language modelling (MLM) + next-sentence prediction", "遮蔽语言模型 (MLM) + 下一句预测 (NSP)"),
        Text("classification, tagging, extractive QA, embeddings", "句子分类、序列标注、抽取式问答、语义表征"),
        Text(
            "understanding, not generation: every token sees the whole sentence in both directions, "
            "so no decoder and no causal mask are needed",
            "重点是「理解」而非生成：每个 token 双向看到整句，因此不需要 Decoder，也不需要因果遮罩",
        ),
    ),
    hf_mappers={"bert": from_hf},
))
