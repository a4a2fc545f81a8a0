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


@dataclass(frozen=True)
class RelativeBiasSpec(Table):
    """T5's bucketed relative-position bias: buckets × heads scalars, added to the scores."""

    bidirectional: bool = True
    max_distance: int = 128


def decoder_lm(
    vocab_size: int, block: BlockSpec, num_layers: int, *, tied: bool, positions: Part | None = None,
) -> Layout:
    """Token table, positions (a learned table or RoPE), a causal stack, the LM head."""
    d = block.d_model
    layout = Layout().add("tokens", Table(vocab_size, d))
    if positions is not None:
        layout.add("positions", positions)
    layout.add("decoder", StackSpec(block, num_layers), generates=True)
    return layout.add("lm_head", LMHeadSpec(d, vocab_size, tied=tied))


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
