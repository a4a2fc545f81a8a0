"""What a training forward keeps for backward: the closed form of the activations autograd
saves, summed over the same layout as parameters and MACs. No torch.

Convention (tfcli's modules on F.scaled_dot_product_attention, training mode, no dropout,
no loss; measured by tfcli.bench.saved with saved_tensors_hooks, each storage
once, parameters excluded). Per token ("row") of a part:

* A norm saves its input and two statistics per row (LayerNorm: mean, rstd); RMSNorm runs
  in fp32 and saves the fp32 input and the normalised input, plus rstd.
* A linear saves its input (the norm's output, the activation's output): one tensor each,
  however many linears read it (Q/K/V fused; cross-attention's K and V read one context,
  which every decoder layer shares: counted once per stack).
* The fused attention kernel saves Q, K, V as it receives them (K/V repeated to every
  query head under GQA), its output and a log-sum-exp per query row and head (fp32).
  Q, K and V stay views of the fused projection's output unless RoPE, a Q/K norm or the
  GQA repeat makes new tensors; the output projection reads the kernel's output as it is.
  A mask (bands, ALiBi, relative-position biases) is saved per call; RoPE's cos and sin
  once per model (every layer reads the same two tables).
* Attention computed outside the kernel (a score soft cap, T5's additive bias) keeps the
  probabilities, B·h·Tq·Tk per layer — the quadratic term the fused kernel avoids.
* Feed-forward: the first linear's output (saved by the activation), the activation's
  output (saved by the second linear; ReLU's is its own), and for a gated FFN the product.
* Token ids are int64 (saved by the embedding lookup); learned positions, once per sequence.

Sizes in elements, by the dtype they are kept in: `act` at the activation dtype (--dtype),
`fp32` always four bytes, `index` int64.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class SavedTally:
    """Elements saved for backward, by category (tfcli.spec.tally's vocabulary) and kind."""

    batch: int
    act: Counter = field(default_factory=Counter)
    fp32: Counter = field(default_factory=Counter)
    index: Counter = field(default_factory=Counter)
    mask: Counter = field(default_factory=Counter)  # booleans
    stat: Counter = field(default_factory=Counter)  # norm statistics (the input's dtype on CPU; fp32 on CUDA)
    upcast: Counter = field(default_factory=Counter)  # fp32 copies made only when activations are not fp32
    fp32_only: Counter = field(default_factory=Counter)  # what those copies replace: kept only at fp32
    # set by the position parts as the layout runs, read by the attentions after them
    rotary: object | None = None  # the model's RoPE (tfcli.presets._text.RotarySpec)
    alibi_heads: int = 0  # an ALiBi bias of this many heads is added to every attention's scores
    learned_bias: bool = False  # a bias with parameters is added to the self-attention scores (T5)
    unmodelled: bool = False  # a part has no closed form (a UNet level, SAM's decoder): measure instead

    def fresh(self) -> "SavedTally":
        """An empty tally that knows what this one was told by the parts so far (RoPE, biases)."""
        return SavedTally(self.batch, rotary=self.rotary, alibi_heads=self.alibi_heads, learned_bias=self.learned_bias)

    def add(self, category: str, elements: int, kind: str = "act", per_sequence: bool = True) -> None:
        """`elements` per sequence (× batch), or once for the whole batch (per_sequence=False)."""
        getattr(self, kind)[category] += elements * (self.batch if per_sequence else 1)

    def bytes(self, act_bytes: int) -> dict[str, int]:
        """Bytes per category at an activation dtype of `act_bytes` bytes."""
        out: Counter = Counter()
        for c, n in self.act.items():
            out[c] += n * act_bytes
        for c, n in self.fp32.items():
            out[c] += 4 * n
        for c, n in self.index.items():
            out[c] += 8 * n
        for c, n in self.mask.items():
            out[c] += n
        for c, n in self.stat.items():
            out[c] += n * act_bytes
        for c, n in (self.upcast if act_bytes != 4 else self.fp32_only).items():
            out[c] += 4 * n
        return dict(out)

    def total_bytes(self, act_bytes: int) -> int:
        return sum(self.bytes(act_bytes).values())
