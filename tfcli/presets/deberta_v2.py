"""DeBERTa-v2 / v3: a BERT-like post-norm encoder whose attention is disentangled: besides
content→content scores, each layer scores content→position (c2p) and position→content (p2c)
against a shared table of relative-position embeddings (log-bucketed, position_buckets per
side), projected by the layer's own key / query matrices when share_att_key. No absolute
positions enter the input (position_biased_input false)."""

from dataclasses import dataclass

from tfcli.presets._text import check_attention, check_choices
from tfcli.presets.bert import DenseHeadSpec
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (
    ArchConfig, AttentionSpec, BlockSpec, FeedForwardSpec, Layout, Linear, NormSpec, Part, StackSpec, Table, one_of,
)

# head → transformers class suffix
DEBERTA_HEADS = {
    "none": "Model",
    "sequence-classification": "ForSequenceClassification",  # ContextPooler (dense on [CLS], gelu) + classifier
    "token-classification": "ForTokenClassification",
    "question-answering": "ForQuestionAnswering",
}


@dataclass(frozen=True)
class DisentangledAttentionSpec(AttentionSpec):
    """Self-attention plus DeBERTa's relative terms over `span` relative-embedding rows:
    c2p = Q·(Wk r)ᵀ and p2c = K·(Wq r)ᵀ, each B·h·T·span·head_dim MACs; the relative rows
    are projected once per layer for the whole batch (span·d·d per projection)."""

    span: int = 512  # rows of the relative table the layer reads: 2 × position_buckets
    c2p: bool = True
    p2c: bool = True
    share_att_key: bool = True  # project the relative rows with the layer's own Wq / Wk

    @property
    def pos_projections(self) -> int:
        """Projections of the relative rows: both Wq and Wk when shared (transformers computes
        both), else one own matrix per term."""
        return 2 if self.share_att_key else int(self.c2p) + int(self.p2c)

    def num_params(self) -> int:
        own = 0 if self.share_att_key else (int(self.c2p) + int(self.p2c)) * (self.d_model * self.q_dim + self.q_dim)
        return super().num_params() + own

    def add_macs(self, t, rows, context=None, times=1):
        super().add_macs(t, rows, context, times)
        # relative rows through the projections: once per layer, not per sequence
        t.macs["attn_proj"] += times * self.pos_projections * self.span * self.d_model * self.q_dim
        terms = int(self.c2p) + int(self.p2c)
        t.macs["attn_scores"] += times * terms * t.batch * self.num_heads * rows * self.span * self.head_size

    def add_saved(self, s, rows, context=None, times=1):
        """The relative terms are a bias with parameters, so SDPA takes its math path; each
        term keeps its projected relative rows (span × q_dim), its B·h·T·span scores and the
        int64 index it gathers them with (T·T, expanded over batch and heads). Q and K reach the terms as views of the
        fused projection (exact at batch 1; at larger batches matmul may copy them)."""
        shared_bias, s.learned_bias = s.learned_bias, True
        super().add_saved(s, rows, context, times)
        s.learned_bias = shared_bias
        terms = int(self.c2p) + int(self.p2c)
        s.add("attention", times * terms * self.span * self.q_dim, per_sequence=False)
        s.add("attention", times * terms * self.num_heads * rows * self.span)
        s.add("attention", times * terms * rows * rows, "index", per_sequence=False)  # one (T, T) index, expanded


@dataclass(frozen=True)
class RelativeTableSpec(Part):
    """The encoder's relative-position embeddings (span × d) and their LayerNorm, normalised
    once per forward for the whole batch."""

    span: int
    dim: int
    norm: bool = True
    eps: float = 1e-7

    def num_params(self) -> int:
        return self.span * self.dim + (2 * self.dim if self.norm else 0)

    def add_macs(self, t, rows, context=None, times=1):
        if self.norm:
            t.macs["norms"] += times * self.span * self.dim * 5

    def add_saved(self, s, rows, context=None, times=1):
        # once for the batch: the norm's input and statistics, and its output, which every layer projects
        if self.norm:
            s.add("norms", times * self.span * (self.dim + 2), per_sequence=False)
        s.add("attention", times * self.span * self.dim, per_sequence=False)


@dataclass
class DebertaV2Config(ArchConfig):
    """microsoft/deberta-v3-base (its config.json names no class: DebertaV2Model)."""

    vocab_size: int = 128100
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 512
    type_vocab_size: int = 0
    activation: str = "gelu"
    norm_eps: float = 1e-7
    position_buckets: int = 256
    max_relative_positions: int = 0  # 0: max_positions
    c2p: bool = True
    p2c: bool = True
    share_att_key: bool = True
    norm_rel_ebd: bool = True  # a LayerNorm on the relative table
    position_biased_input: bool = False  # an absolute position table added to the input
    head: str = "none"
    num_labels: int = 2

    zero_ok = ("type_vocab_size", "max_relative_positions", "position_buckets")

    @property
    def span(self) -> int:
        """Rows of the relative table: twice the buckets (or twice the relative range)."""
        return 2 * (self.position_buckets or self.max_relative_positions or self.max_positions)

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        one_of(self.family, "head", self.head, tuple(DEBERTA_HEADS))

    def layout(self) -> Layout:
        d = self.d_model
        attention = DisentangledAttentionSpec(d, self.num_heads, span=self.span, c2p=self.c2p, p2c=self.p2c,
                                              share_att_key=self.share_att_key)
        norm = NormSpec("layer", d, self.norm_eps)
        block = BlockSpec(attention, FeedForwardSpec(d, self.ffn_dim, self.activation), norm, pre_norm=False)
        layout = Layout().add("tokens", Table(self.vocab_size, d))
        if self.position_biased_input:
            layout.add("positions", Table(self.max_positions, d, lookup="positions"))
        if self.type_vocab_size:
            layout.add("segments", Table(self.type_vocab_size, d))
        layout.add("embed_norm", norm)
        layout.add("rel_embeddings", RelativeTableSpec(self.span, d, self.norm_rel_ebd, self.norm_eps), rows="one")
        layout.add("encoder", StackSpec(block, self.num_layers))
        if self.head == "sequence-classification":  # ContextPooler: dense over [CLS], then the classifier
            layout.add("classifier", DenseHeadSpec(d, self.num_labels, "gelu"), rows="one")
        elif self.head in ("token-classification", "question-answering"):
            layout.add("classifier", Linear(d, self.num_labels))
        return layout


def from_hf(f) -> ArchConfig:
    head = f.head_from_architecture("DebertaV2", {s: h for h, s in DEBERTA_HEADS.items()}, default="none")
    f.expect("relative_attention", True, "tfcli's DeBERTa-v2 has relative attention")
    f.expect("conv_kernel_size", 0, "the convolution layer of some DeBERTa-v2 checkpoints is not modelled")
    d = f.int("hidden_size", to="d_model")
    f.expect("embedding_size", d, "tfcli's DeBERTa-v2 embeds at the hidden width")
    f.expect("pooler_hidden_size", d, "tfcli's DeBERTa-v2 pools at the hidden width")
    f.expect("pooler_hidden_act", "gelu", "tfcli's DeBERTa-v2 pooler applies gelu")
    kinds = f.data.get("pos_att_type") or []
    if isinstance(kinds, str):
        kinds = [k.strip() for k in kinds.lower().split("|") if k.strip()]
    if not isinstance(kinds, list) or any(k not in ("c2p", "p2c") for k in kinds):
        raise f.fail("pos_att_type", f"= {f.data.get('pos_att_type')!r} is not modelled (tfcli knows c2p and p2c)")
    norm_rel = [k.strip() for k in str(f.data.get("norm_rel_ebd") or "none").lower().split("|")]
    if any(k not in ("none", "layer_norm") for k in norm_rel):
        raise f.fail("norm_rel_ebd", f"= {f.data.get('norm_rel_ebd')!r} is not modelled (tfcli knows layer_norm)")
    buckets = f.data.get("position_buckets", -1)
    relative = f.data.get("max_relative_positions", -1)
    return DebertaV2Config(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=f.int("num_attention_heads", to="num_heads"),
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 512, to="max_positions"),
        type_vocab_size=f.int("type_vocab_size", 0, to="type_vocab_size", zero_ok=True),
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-7),
        position_buckets=f.int("position_buckets", to="position_buckets") if buckets and buckets > 0 else 0,
        max_relative_positions=f.int("max_relative_positions", to="max_relative_positions")
        if relative and relative > 0 else 0,
        c2p="c2p" in kinds,
        p2c="p2c" in kinds,
        share_att_key=f.bool("share_att_key", False),
        norm_rel_ebd="layer_norm" in norm_rel,
        position_biased_input=f.bool("position_biased_input", True),
        head=head,
        num_labels=f.num_labels(),
    )


_REF = "transformers DebertaV2Model ({}; its config.json names no class)"

FAMILY = register(Family(
    "deberta-v2",
    DebertaV2Config,
    builder="tfcli.models.deberta_v2:DebertaV2Model",
    kind="encoder-only",
    modality=Modality.TEXT,
    description="encoder with disentangled (content / relative-position) attention: DeBERTa-v2, v3",
    presets=(
        Preset("deberta-v3-base", DebertaV2Config, params=183_831_552, macs=19_643_596_800,
               aliases=("deberta-v3", "deberta", "microsoft/deberta-v3-base"),
               reference=_REF.format("microsoft/deberta-v3-base")),
        Preset("deberta-v3-large", lambda: DebertaV2Config(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096),
               params=434_012_160, macs=68_485_775_360,
               aliases=("microsoft/deberta-v3-large",), reference=_REF.format("microsoft/deberta-v3-large")),
    ),
    facts=FamilyFacts(
        "DeBERTa-v2 / v3",
        Text("v2: masked language modelling; v3: ELECTRA-style replaced-token detection with gradient-disentangled "
             "embedding sharing", "v2：遮蔽语言模型；v3：ELECTRA 式替换词侦测，并以梯度解耦方式共享嵌入"),
        Text("classification (GLUE, SuperGLUE), NLI, extractive QA", "分类（GLUE、SuperGLUE）、自然语言推论、抽取式问答"),
        Text(
            "content and position are kept apart: every layer adds content→position and position→content "
            "scores from a shared table of relative distances to the usual content→content ones, so no "
            "absolute positions are added to the input",
            "内容与位置分开表示：每一层在内容对内容的分数之外，再加上内容对位置、位置对内容的分数"
            "（来自共用的相对距离表），输入不再加入绝对位置",
        ),
    ),
    hf_mappers={"deberta-v2": from_hf},
))
