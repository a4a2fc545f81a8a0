"""ModernBERT: an encoder rebuilt with the decoder era's parts: RoPE (a global and a local
theta), GeGLU feed-forwards, pre-norm LayerNorms without biases, no biases in the linear
layers, and attention that alternates between global layers (every
`global_attn_every_n_layers`-th, starting with the first) and bidirectional local ones
(a 128-token band). The first layer's attention reads the embedding norm's output directly."""

from dataclasses import dataclass, replace

from tfcli.presets._text import RotarySpec, check_attention, check_choices, check_rope
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, BlockSpec, Layout, Linear, LMHeadSpec, NormSpec, Part, Table, block_spec, one_of

# head → transformers class suffix
MODERNBERT_HEADS = {
    "none": "Model",
    "masked-lm": "ForMaskedLM",
    "sequence-classification": "ForSequenceClassification",
    "token-classification": "ForTokenClassification",
    "question-answering": "ForQuestionAnswering",
    "multiple-choice": "ForMultipleChoice",
}


@dataclass(frozen=True)
class LayerListSpec(Part):
    """Blocks that differ layer by layer (global / local attention, the first layer's missing
    attention norm), then the final norm."""

    blocks: tuple[BlockSpec, ...]
    final_norm: NormSpec

    @property
    def num_layers(self) -> int:
        return len(self.blocks)

    def num_params(self) -> int:
        return sum(b.num_params() for b in self.blocks) + self.final_norm.num_params()

    def add_macs(self, t, rows, context=None, times=1):
        for b in self.blocks:
            b.add_macs(t, rows, times=times)
        self.final_norm.add_macs(t, rows, times=times)

    def add_saved(self, s, rows, context=None, times=1):
        for b in self.blocks:
            b.add_saved(s, rows, times=times)
        self.final_norm.add_saved(s, rows, times=times)


@dataclass(frozen=True)
class PredictionHeadSpec(Part):
    """ModernBertPredictionHead: dense d→d (no bias), activation, LayerNorm (no bias)."""

    d_model: int
    bias: bool = False
    norm_bias: bool = False

    def num_params(self) -> int:
        d = self.d_model
        return d * d + (d if self.bias else 0) + (2 * d if self.norm_bias else d)

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("heads", rows, self.d_model, self.d_model, times)
        t.norm(rows * self.d_model, times)

    def add_saved(self, s, rows, context=None, times=1):
        # the dense's input, the GELU's input, the norm's input and statistics
        s.add("heads", times * rows * 3 * self.d_model)
        s.add("heads", times * rows * 2, "stat")


@dataclass
class ModernBertConfig(ArchConfig):
    """answerdotai/ModernBERT-base (ModernBertForMaskedLM)."""

    vocab_size: int = 50368
    d_model: int = 768
    num_layers: int = 22
    num_heads: int = 12
    ffn_dim: int = 1152  # GeGLU: Wi makes 2 × 1152
    max_positions: int = 8192
    activation: str = "gelu"
    norm_eps: float = 1e-5
    global_every: int = 3  # global_attn_every_n_layers: layers 0, 3, 6, ... attend globally
    local_window: int = 128  # local_attention: the band's total width (±64)
    global_rope_theta: float = 160_000.0
    local_rope_theta: float = 10_000.0
    head: str = "masked-lm"
    num_labels: int = 2
    decoder_bias: bool = True  # the tied MLM decoder's own bias
    pooling: str = "mean"  # classifier_pooling: "mean" over tokens or "cls"

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_rope(self.family, self.head_dim)
        check_choices(self.family, self.activation)
        one_of(self.family, "head", self.head, tuple(MODERNBERT_HEADS))
        one_of(self.family, "pooling", self.pooling, ("mean", "cls"))

    def is_global(self, layer: int) -> bool:
        return layer % self.global_every == 0

    def blocks(self) -> tuple[BlockSpec, ...]:
        base = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation, gated=True,
                          norm_eps=self.norm_eps, norm_bias=False, qkv_bias=False, ffn_bias=False)
        local = replace(base, attention=replace(base.attention, local_window=self.local_window))
        blocks = [base if self.is_global(i) else local for i in range(self.num_layers)]
        blocks[0] = replace(blocks[0], attn_norm=False)  # the embedding norm just ran
        return tuple(blocks)

    def layout(self) -> Layout:
        d = self.d_model
        norm = NormSpec("layer", d, self.norm_eps, bias=False)
        layout = (
            Layout()
            .add("tokens", Table(self.vocab_size, d))
            .add("embed_norm", norm)
            .add("rope_global", RotarySpec(self.head_dim, self.global_rope_theta))
            .add("rope_local", RotarySpec(self.head_dim, self.local_rope_theta))
            .add("encoder", LayerListSpec(self.blocks(), norm))
        )
        if self.head == "masked-lm":
            layout.add("head", PredictionHeadSpec(d))
            # the decoder is the token table (tied), plus its own bias
            layout.add("decoder", LMHeadSpec(d, self.vocab_size, tied=True, bias=self.decoder_bias))
        elif self.head in ("sequence-classification", "multiple-choice"):  # one pooled vector
            layout.add("head", PredictionHeadSpec(d), rows="one")
            n = self.num_labels if self.head == "sequence-classification" else 1
            layout.add("classifier", Linear(d, n), rows="one")
        elif self.head in ("token-classification", "question-answering"):
            layout.add("head", PredictionHeadSpec(d))
            layout.add("classifier", Linear(d, self.num_labels))
        return layout


def _rope_theta(f, kind: str, old: str, default: float) -> float:
    params = f.data.get("rope_parameters")
    if isinstance(params, dict) and isinstance(params.get(kind), dict) and "rope_theta" in params[kind]:
        sub = f.sub("rope_parameters").sub(kind)
        return sub.float("rope_theta", default)
    return f.float(old, default)


def from_hf(f) -> ArchConfig:
    head = f.head_from_architecture("ModernBert", {s: h for h, s in MODERNBERT_HEADS.items()}, default="none")
    for field in ("attention_bias", "mlp_bias", "norm_bias", "classifier_bias"):
        f.expect(field, False, "tfcli's ModernBERT has no biases there")
    f.expect("layer_types", None, "tfcli builds the global_attn_every_n_layers pattern")
    f.note("rope_scaling", "not modelled (changes positions, not parameters or MACs)")
    return ModernBertConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("hidden_size", to="d_model"),
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=f.int("num_attention_heads", to="num_heads"),
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 8192, to="max_positions"),
        activation=f.activation("hidden_activation", "gelu"),
        norm_eps=f.float("norm_eps", 1e-5),
        global_every=f.int("global_attn_every_n_layers", 3, to="global_every"),
        local_window=f.int("local_attention", 128, to="local_window"),
        global_rope_theta=_rope_theta(f, "full_attention", "global_rope_theta", 160_000.0),
        local_rope_theta=_rope_theta(f, "sliding_attention", "local_rope_theta", 10_000.0),
        head=head,
        num_labels=f.num_labels(),
        decoder_bias=f.bool("decoder_bias", True),
        pooling=f.data.get("classifier_pooling") or "cls",
    )


_REF = "transformers ModernBertForMaskedLM ({}; the decoder tied to the token table)"

FAMILY = register(Family(
    "modernbert",
    ModernBertConfig,
    builder="tfcli.models.modernbert:ModernBertModel",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="encoder with RoPE, GeGLU, no biases, alternating global / local attention",
    presets=(
        Preset("modernbert-base", ModernBertConfig, params=149_655_232, macs=19_721_158_656,
               aliases=("modernbert", "answerdotai/ModernBERT-base"), reference=_REF.format("answerdotai/ModernBERT-base")),
        Preset("modernbert-large",
               lambda: ModernBertConfig(d_model=1024, num_layers=28, num_heads=16, ffn_dim=2624),
               params=395_881_664, macs=51_636_338_688,
               aliases=("answerdotai/ModernBERT-large",), reference=_REF.format("answerdotai/ModernBERT-large")),
    ),
    facts=FamilyFacts(
        "ModernBERT",
        Text("masked language modelling (30% masking) on 2T tokens of text and code, 8192-token context",
             "遮蔽语言模型（30% 遮蔽），2T token 的文本与代码，8192 token 上下文"),
        Text("retrieval embeddings, classification, code search, long-document understanding",
             "检索向量、分类、代码搜索、长文档理解"),
        Text(
            "a bidirectional encoder with decoder-era parts: RoPE instead of a position table, GeGLU, "
            "pre-norm without biases; two of every three layers attend only within a 128-token band, "
            "so long inputs stay cheap",
            "双向 Encoder 搭配现代 Decoder 的组件：以 RoPE 取代位置表、GeGLU、无偏置的 pre-norm；"
            "每三层中有两层只在 128 token 的区间内做注意力，长输入仍然便宜",
        ),
    ),
    hf_mappers={"modernbert": from_hf},
))
