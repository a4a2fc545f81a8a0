"""OPT: GPT-style decoders with a learned position table offset by 2 rows, ReLU MLPs, biases
everywhere and a tied LM head. Pre-norm with a final LayerNorm, except OPT-350m: post-norm
(do_layer_norm_before = false, no final norm), and 512-wide token vectors projected in and
out of its 1024-wide stack (word_embed_proj_dim)."""

from dataclasses import dataclass

from tfcli.presets._text import PositionTable, check_attention, check_choices
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, Layout, Linear, LMHeadSpec, StackSpec, Table, block_spec

POSITION_OFFSET = 2  # OPT's table keeps 2 rows before position 0 (a fairseq padding convention)


@dataclass
class OPTConfig(ArchConfig):
    """OPT-125m's values."""

    vocab_size: int = 50272
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 2048
    activation: str = "relu"
    norm_eps: float = 1e-5
    pre_norm: bool = True  # do_layer_norm_before
    embed_dim: int = 0  # word_embed_proj_dim; 0: as d_model (no project_in / project_out)
    bias: bool = True  # enable_bias
    tie_embeddings: bool = True

    zero_ok = ("embed_dim",)
    learned_positions = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def layout(self) -> Layout:
        d, e = self.d_model, self.embed_dim or self.d_model
        block = block_spec(d, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps,
                           pre_norm=self.pre_norm, qkv_bias=self.bias, ffn_bias=self.bias, causal=True)
        layout = Layout().add("tokens", Table(self.vocab_size, e))
        if e != d:
            layout.add("project_in", Linear(e, d, bias=False, category="embeddings"))
        layout.add("positions", PositionTable(self.max_positions + POSITION_OFFSET, d, lookup="positions", offset=POSITION_OFFSET))
        # the final LayerNorm exists only in pre-norm stacks (StackSpec's default)
        layout.add("decoder", StackSpec(block, self.num_layers), generates=True)
        if e != d:
            layout.add("project_out", Linear(d, e, bias=False, category="heads"))
        return layout.add("lm_head", LMHeadSpec(e, self.vocab_size, tied=self.tie_embeddings))


def from_hf(f) -> ArchConfig:
    f.architecture_is("OPTForCausalLM")
    f.expect("_remove_final_layer_norm", False, "tfcli's OPT keeps the final LayerNorm of pre-norm stacks")
    f.expect("layer_norm_elementwise_affine", True, "tfcli's OPT LayerNorms have a learned scale and shift")
    d = f.int("hidden_size", to="d_model")
    e = f.int("word_embed_proj_dim", d, to="embed_dim")
    return OPTConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=f.int("num_attention_heads", to="num_heads"),
        ffn_dim=f.int("ffn_dim", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 2048, to="max_positions"),
        activation=f.activation("activation_function", "relu"),
        pre_norm=f.bool("do_layer_norm_before", True),
        embed_dim=0 if e == d else e,
        bias=f.bool("enable_bias", True),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


def _opt(d_model: int, num_layers: int, num_heads: int):
    return lambda: OPTConfig(d_model=d_model, num_layers=num_layers, num_heads=num_heads, ffn_dim=4 * d_model)


_REF = "transformers OPTForCausalLM (facebook/{}), LM head tied"

FAMILY = register(Family(
    "opt",
    OPTConfig,
    builder="tfcli.models.decoder:DecoderLM",
    kind="decoder-only",
    modality=Modality.TEXT,
    description="causal decoder with learned positions (offset 2), ReLU MLP and biases (OPT)",
    presets=(
        Preset("opt-125m", _opt(768, 12, 12), params=125_239_296, macs=16_127_852_544,
               aliases=("opt", "facebook/opt-125m"), reference=_REF.format("opt-125m")),
        Preset("opt-350m",
               lambda: OPTConfig(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096, pre_norm=False,
                                 embed_dim=512),
               params=331_196_416, macs=42_920_312_832, aliases=("facebook/opt-350m",),
               reference=_REF.format("opt-350m, post-norm, 512-wide tokens with project_in/out")),
        Preset("opt-1.3b", _opt(2048, 24, 32), params=1_315_758_080, macs=169_472_163_840,
               aliases=("facebook/opt-1.3b",), reference=_REF.format("opt-1.3b")),
        Preset("opt-6.7b", _opt(4096, 32, 32), params=6_658_473_984, macs=855_456_088_064, slow=True,
               aliases=("facebook/opt-6.7b",), reference=_REF.format("opt-6.7b")),
    ),
    facts=FamilyFacts(
        "OPT",
        Text("auto-regressive next-token prediction (causal LM), an open replication of GPT-3",
             "自回归下一个 token 预测（因果语言模型），GPT-3 的开放复现"),
        Text("text generation, few-shot prompting, research baselines", "文本生成、少样本提示、研究基准"),
        Text(
            "a GPT-3-style decoder released with its training logs: learned absolute positions, ReLU MLPs, "
            "pre-LayerNorm blocks (post-norm in the 350m model)",
            "连同训练纪录一起公开的 GPT-3 式 Decoder：学习式绝对位置、ReLU MLP、Pre-LayerNorm 区块（350m 为 Post-norm）",
        ),
    ),
    hf_mappers={"opt": from_hf},
))
