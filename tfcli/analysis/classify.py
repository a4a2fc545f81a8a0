"""Encoder / decoder classification read from the built structure, not typed by hand.

The facts are the attention modules themselves: whether each one is bidirectional,
causal or cross, whether it works in windows, and which repeated stack it sits in.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StackFact:
    path: str  # the ModuleList holding the blocks, e.g. "decoder.layers"
    layers: int
    attention: list[str]  # kinds in one block, e.g. ["causal", "cross"]
    windowed_layers: int = 0
    sliding_layers: dict[int, int] = field(default_factory=dict)  # window → layers attending within it
    local_layers: int = 0  # layers attending within a band of neighbours (ModernBERT's local layers)
    local_window: int = 0

    def describe(self) -> str:
        kinds = " + ".join(
            "cross-attention" if k == "cross" else f"{k} self-attention" for k in self.attention
        )
        win = f" ({self.windowed_layers} windowed)" if self.windowed_layers else ""
        slide = "".join(f" (sliding window {w} on {n} of {self.layers} layers)"
                        for w, n in sorted(self.sliding_layers.items()))
        if self.local_layers:
            win += f" ({self.local_layers} local, ±{self.local_window // 2} tokens)"
        return f"{self.path}: {self.layers} × {kinds}{win}{slide}"


@dataclass
class Classification:
    kind: str  # encoder-only, decoder-only, encoder-decoder, dual-encoder, ...
    summary: str
    stacks: list[StackFact] = field(default_factory=list)
    convolutional: bool = False


def _attention_kinds(module) -> list[str]:
    from tfcli.blocks.attention import Attention

    kinds = []
    for m in module.modules():
        if isinstance(m, Attention) and m.kind not in kinds:
            kinds.append(m.kind)
    return kinds


def stack_facts(model) -> list[StackFact]:
    from torch import nn

    from tfcli.blocks.attention import Attention

    facts = []
    for path, module in model.named_modules():
        if not isinstance(module, nn.ModuleList) or len(module) == 0:
            continue
        if not any(isinstance(m, Attention) for m in module[0].modules()):
            continue
        # a ModuleList holding other lists of blocks (UNet levels) is described by its inner lists
        if any(isinstance(m, nn.ModuleList) and m is not module for m in module.modules()
               if any(isinstance(a, Attention) for a in m.modules())):
            continue
        kinds: list[str] = []
        for block in module:
            for k in _attention_kinds(block):
                if k not in kinds:
                    kinds.append(k)
        windowed = sum(
            1 for block in module
            if any(isinstance(m, Attention) and m.window for m in block.modules())
        )
        sliding: dict[int, int] = {}
        for block in module:
            windows = {m.sliding_window for m in block.modules()
                       if isinstance(m, Attention) and m.sliding_window}
            for w in windows:
                sliding[w] = sliding.get(w, 0) + 1
        local = [m.local_window for block in module for m in block.modules()
                 if isinstance(m, Attention) and m.local_window]
        facts.append(StackFact(path, len(module), kinds, windowed, sliding, len(local), max(local, default=0)))
    return _merge_indexed(facts)


def _merge_indexed(facts: list[StackFact]) -> list[StackFact]:
    """Stacks that differ only by list indices (a UNet level's transformers) become one line:
    16 × "down_blocks.0.attentions.1.blocks: 1 × ..." → "down_blocks.*.attentions.*.blocks: 6 × ..."."""
    merged: dict[tuple, StackFact] = {}
    for f in facts:
        pattern = ".".join("*" if part.isdigit() else part for part in f.path.split("."))
        key = (pattern, tuple(f.attention))
        if key in merged:
            m = merged[key]
            m.path, m.layers, m.windowed_layers = pattern, m.layers + f.layers, m.windowed_layers + f.windowed_layers
            for w, n in f.sliding_layers.items():
                m.sliding_layers[w] = m.sliding_layers.get(w, 0) + n
        else:
            merged[key] = StackFact(f.path, f.layers, list(f.attention), f.windowed_layers, dict(f.sliding_layers),
                                    f.local_layers, f.local_window)
    return list(merged.values())


def _conv_share(model, params=None) -> float:
    from tfcli.analysis.params import count_params

    report = params or count_params(model)
    return report.by_category["convolution"] / max(report.total, 1)


def _reads_a_signal(model) -> bool:
    """A 1-D convolution turns a sampled signal (Whisper's log-mel frames) into the encoder's tokens."""
    from torch import nn

    return any(isinstance(m, nn.Conv1d) for m in model.modules())


def _has_lm_head(model) -> bool:
    from tfcli.blocks.heads import LMHead

    return any(isinstance(m, LMHead) for m in model.modules())


def _pipeline_parts(model) -> list[tuple[str, str]]:
    """(name, class) of each part of a multi-part model whose parts are models themselves."""
    from tfcli.models.base import TfcliModel

    parts = model.components() if isinstance(model, TfcliModel) else {}
    return [(name, classify(part).kind) for name, part in parts.items() if isinstance(part, TfcliModel)]


def classify(model, params=None) -> Classification:
    """`params`: the model's ParamReport when the caller has counted it already."""
    from tfcli.blocks.attention import Attention

    stacks = stack_facts(model)
    kinds = {m.kind for m in model.modules() if isinstance(m, Attention)}
    bidir, causal, cross = "bidirectional" in kinds, "causal" in kinds, "cross" in kinds
    # stacks under different top-level modules (CLIP's, SigLIP's text and vision towers)
    towers = {s.path.split(".")[0] for s in stacks}
    conv = _conv_share(model, params) > 0.5
    parts = _pipeline_parts(model) if conv and cross and causal else []
    part_kinds = [k for _, k in parts]
    if "conv-denoiser" in part_kinds and "conv-autoencoder" in part_kinds:
        # Stable Diffusion: a text encoder, a denoiser working in an autoencoder's latent space
        chain = " → ".join(f"{name} ({k})" for name, k in parts)
        kind, summary = (
            "latent-diffusion",
            f"{chain}: the denoiser cross-attends to the text and works on the autoencoder's latents",
        )
    elif conv and cross:
        kind, summary = (
            "conv-denoiser",
            "convolutional U-Net denoiser whose transformer blocks cross-attend to the conditioning",
        )
    elif conv:
        kind, summary = "conv-autoencoder", "convolutional network (attention only in a few blocks)"
    elif causal and cross and _reads_a_signal(model):
        kind, summary = (
            "audio encoder-decoder",
            "1-D convolutions over audio frames, a bidirectional encoder over them, and a causal decoder "
            "that cross-attends to its output",
        )
    elif causal and cross:
        kind, summary = (
            "encoder-decoder",
            "a bidirectional encoder, and a causal decoder that cross-attends to its output",
        )
    elif cross:
        kind, summary = (
            "encoder + conditioned decoder",
            "an encoder, and a non-causal decoder that cross-attends to it and to prompts",
        )
    elif len(towers) > 1 or (causal and bidir):
        kind, summary = (
            "dual-encoder",
            "two towers with no cross-attention, joined only at their output embeddings",
        )
    elif causal and _has_lm_head(model):
        kind, summary = "decoder-only", "causal self-attention only: each token sees the ones before it"
    elif causal:
        kind, summary = (
            "causal-encoder",
            "causally masked self-attention read out as an embedding (no language-model head)",
        )
    elif bidir:
        kind, summary = "encoder-only", "bidirectional self-attention only: each token sees all tokens"
    else:
        kind, summary = "no-attention", "no attention layers"
    return Classification(kind, summary + _experts_note(model), stacks, conv)


def _experts_note(model) -> str:
    """"; mixture of experts: top-2 of 8 experts in 32 of 32 layers" when the model has one."""
    from tfcli.blocks.moe import MoE

    moes = [m for m in model.modules() if isinstance(m, MoE)]
    if not moes:
        return ""
    routing = ", ".join(sorted({f"top-{m.top_k} of {m.num_experts} experts" + (" + shared" if m.shared is not None else "")
                                for m in moes}))
    layers = sum(1 for m in model.modules() if type(m).__name__ == "Block")
    return f"; mixture of experts: {routing} in {len(moes)} of {layers} layers"
