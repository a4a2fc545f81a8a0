"""Checks and layouts shared by the text families' records."""

from __future__ import annotations

from dataclasses import dataclass

from tfcli.spec import (
    ACTIVATIONS, NORMS, BlockSpec, Layout, LMHeadSpec, NormSpec, Part, StackSpec, Table, divides, one_of, require,
)


def check_attention(family: str, d_model: int, num_heads: int, num_kv_heads: int | None = None) -> None:
    divides(family, "d_model", d_model, "num_heads", num_heads)
    if num_kv_heads is not None:
        require(num_kv_heads <= num_heads, family, f"'num_kv_heads' ({num_kv_heads}) cannot exceed 'num_heads' ({num_heads})")
        divides(family, "num_heads", num_heads, "num_kv_heads", num_kv_heads)


def check_choices(family: str, activation: str | None = None, norm: str | None = None) -> None:
    if activation is not None:
        one_of(family, "activation", activation, ACTIVATIONS)
    if norm is not None:
        one_of(family, "norm", norm, NORMS)


def check_rope(family: str, head_dim: int) -> None:
    require(
        head_dim % 2 == 0, family,
        f"the head size 'd_model'/'num_heads' ({head_dim}) must be even: RoPE rotates pairs of channels",
    )


@dataclass(frozen=True)
class RotarySpec(Part):
    """Rotary position embedding: rotates Q and K by position; no parameters, no MACs."""

    head_dim: int
    theta: float = 10000.0
    rotary_dim: int | None = None  # partial rotary: only the first rotary_dim channels of each head turn
    interleaved: bool = False  # rotates channel pairs (0,1), (2,3)… (GPT-J) instead of halves (0,d/2)…

    @property
    def dims(self) -> int:
        return self.rotary_dim or self.head_dim

    def add_saved(self, s, rows, context=None, times=1):
        s.rotary = self  # the attentions after it rotate Q and K (new tensors)
        s.add("attention", 2 * rows * self.dims, per_sequence=False)  # cos and sin, kept by every layer's rotation


@dataclass(frozen=True)
class AlibiSpec(Part):
    """ALiBi (BLOOM, Falcon-RW): no position vectors; each head adds -slope·distance to its
    attention scores. No parameters; the bias is elementwise (0 MACs)."""

    num_heads: int
    scale: float = 1.0  # Falcon-RW divides the bias by √head_dim with the scores; BLOOM adds it unscaled

    def add_saved(self, s, rows, context=None, times=1):
        s.alibi_heads = self.num_heads  # each causal layer saves the bias with its future masked


@dataclass(frozen=True)
class PositionTable(Table):
    """A learned position table whose first `offset` rows sit before position 0 (OPT keeps 2);
    `rows` counts them."""

    offset: int = 0


@dataclass(frozen=True)
class SinusoidalSpec(Part):
    """The original Transformer's fixed sine/cosine positions; no parameters unless stored."""

    dim: int
    # > 0: a table of this many rows kept as a frozen parameter, as transformers' Marian,
    # Pegasus and Whisper keep it (counted in the total, not as trainable)
    stored: int = 0
    halves: bool = False  # sines in the first half of the channels, cosines in the second (not interleaved)

    def num_params(self) -> int:
        return self.stored * self.dim

    def add_saved(self, s, rows, context=None, times=1):
        """Fixed values added to the embeddings; a stored table is read by position (int64 indices)."""
        if self.stored:
            s.add("embeddings", rows, "index", per_sequence=False)


@dataclass(frozen=True)
class RelativeBiasSpec(Table):
    """T5's bucketed relative-position bias: buckets × heads scalars, added to the scores."""

    bidirectional: bool = True
    max_distance: int = 128

    def add_saved(self, s, rows, context=None, times=1):
        s.learned_bias = True  # the stacks' self-attention scores get a bias with parameters
        s.add("embeddings", rows * rows, "index", per_sequence=False)  # the bucket of each (query, key) pair


def decoder_lm(
    vocab_size: int, block: BlockSpec | StackSpec, num_layers: int, *, tied: bool, positions: Part | None = None,
    embed_scale: float = 1.0, logit_softcap: float = 0.0, head_bias: bool = False, embed_norm: NormSpec | None = None,
) -> Layout:
    """Token table, positions (a learned table, RoPE or ALiBi), an optional norm on the
    embeddings (BLOOM), a causal stack, the LM head (with a bias: GPT-J, Phi). `block` may
    be a whole StackSpec (layers that differ); Gemma scales the embeddings and caps the logits."""
    d = block.d_model if isinstance(block, BlockSpec) else block.block.d_model
    layout = Layout().add("tokens", Table(vocab_size, d, scale=embed_scale))
    if positions is not None:
        layout.add("positions", positions)
    if embed_norm is not None:
        layout.add("embed_norm", embed_norm)
    stack = block if isinstance(block, StackSpec) else StackSpec(block, num_layers)
    layout.add("decoder", stack, generates=True)
    return layout.add("lm_head", LMHeadSpec(d, vocab_size, tied=tied, bias=head_bias, softcap=logit_softcap))


def encoder_decoder(
    vocab_size: int, encoder: BlockSpec, decoder: BlockSpec, num_layers: int, num_decoder_layers: int,
    *, tied: bool = True, embed_norms: NormSpec | None = None, source_parts: dict[str, Part] | None = None,
    target_parts: dict[str, Part] | None = None, lm_head: bool = True, target_vocab: int | None = None,
) -> Layout:
    """One shared token table, the parts each stack's input goes through first (positions,
    biases: `source_parts` on the source tokens, `target_parts` on the target's), the encoder
    over the source, the decoder over the target cross-attending to it, the LM head.
    `target_vocab`: the decoder has a table of its own (Marian's separate vocabularies),
    which the head projects to."""
    d = encoder.d_model
    layout = Layout().add("tokens", Table(vocab_size, d))
    if target_vocab is not None:
        layout.add("dec_tokens", Table(target_vocab, d), rows="target")
        vocab_size = target_vocab
    for name, part in (source_parts or {}).items():
        layout.add(name, part)
    for name, part in (target_parts or {}).items():
        layout.add(name, part, rows="target")
    if embed_norms is not None:
        layout.add("enc_embed_norm", embed_norms).add("dec_embed_norm", embed_norms, rows="target")
    layout.add("encoder", StackSpec(encoder, num_layers))
    layout.add("decoder", StackSpec(decoder, num_decoder_layers), rows="target", context="tokens", generates=True)
    if lm_head:
        layout.add("lm_head", LMHeadSpec(d, vocab_size, tied=tied), rows="target")
    return layout


# -- rotary settings shared by the partial-rotary families (GPT-NeoX, Phi, Falcon, Phi-3) --


def rotary_dim(head_dim: int, fraction: float) -> int:
    """The channels of a head RoPE turns: int(head_dim × fraction), as transformers rounds it."""
    return int(head_dim * fraction)


def check_rotary(family: str, head_dim: int, fraction: float) -> None:
    require(0 < fraction <= 1, family, f"'rotary_fraction' must be in (0, 1], got {fraction}")
    dims = rotary_dim(head_dim, fraction)
    require(dims >= 2 and dims % 2 == 0, family,
            f"the rotated channels int(head size {head_dim} × 'rotary_fraction' {fraction}) = {dims} must be even "
            "and at least 2: RoPE rotates pairs of channels")


def rotary(head_dim: int, theta: float, fraction: float = 1.0, interleaved: bool = False) -> RotarySpec:
    dims = rotary_dim(head_dim, fraction)
    return RotarySpec(head_dim, theta, rotary_dim=None if dims == head_dim else dims, interleaved=interleaved)


def rope_parameter(f, key: str, legacy: str, default: float, *, to: str | None = None) -> float:
    """A RoPE setting from transformers 5's `rope_parameters`, else its older top-level field."""
    rope = f.data.get("rope_parameters") or f.data.get("rope_scaling") or {}
    value = rope.get(key) if isinstance(rope, dict) else None
    if value:
        if to:
            f.names[to] = f"rope_parameters.{key}"
        return float(value)
    return f.float(legacy, default, to=to)


def rope_theta(f, default: float = 10000.0) -> float:
    """The RoPE base: transformers 5's rope_parameters.rope_theta, else the 4.x field."""
    return rope_parameter(f, "rope_theta", "rope_theta", default)


# rope_scaling / rope_parameters types transformers knows: they change which angles RoPE
# uses (longer contexts), never a shape or a MAC
ROPE_TYPES = ("default", "linear", "dynamic", "yarn", "longrope", "llama3", "su", "ntk")


def rope_scaling_note(f) -> None:
    """Note a known rope_scaling (behaviour only); refuse a type tfcli does not know."""
    for field in ("rope_scaling", "rope_parameters"):
        rope = f.data.get(field)
        if not isinstance(rope, dict):
            continue
        # Gemma 3 keeps one set per layer type: {"full_attention": {...}, "sliding_attention": {...}}
        for params in [v for v in rope.values() if isinstance(v, dict)] or [rope]:
            kind = params.get("rope_type", params.get("type", "default"))
            if kind not in ROPE_TYPES:
                raise f.fail(field, f"has rope_type '{kind}', which tfcli does not know; known: {', '.join(ROPE_TYPES)}")
            if kind != "default":
                f.note(field, f"'{kind}' RoPE scaling changes the rotation angles only (parameters and MACs unaffected)")
                break

