"""The command's input, resolved once: the options checked against what the model reads,
then the family's own `resolve_input` (lengths, image side, token counts, notes)."""

from __future__ import annotations

from tfcli.errors import InputShapeError
from tfcli.registry import Modality
from tfcli.spec import InputShape, ResolvedInput, ResolvedSpec

# modalities whose models read no token sequence (--seq-len means nothing to them)
NO_TOKENS = (Modality.VISION, Modality.IMAGE, Modality.IMAGE_PROMPTS)
# the most elements one tensor of a meta forward may have (its byte size must fit in int64)
MAX_TENSOR_ELEMENTS = 2**60


def check_options(spec: ResolvedSpec, shape: InputShape) -> None:
    """Refuse an option the model cannot read, in one line that says what to use instead."""
    from tfcli.build import model_class
    from tfcli.catalog import family_of

    config, name = spec.config, spec.name
    modality = family_of(config).modality
    if shape.audio_seconds is not None and modality is not Modality.AUDIO:
        raise InputShapeError(f"--audio-seconds is for audio models; {name} reads no audio")
    if modality is Modality.AUDIO and (shape.seq_len is not None or shape.image_size is not None):
        given = "--seq-len" if shape.seq_len is not None else "--image-size"
        raise InputShapeError(f"{name} is an audio model: {given} does not apply; use --audio-seconds for the "
                              "encoder's audio and --tgt-len for the decoder's tokens")
    if shape.prompt is not None and not model_class(config).takes_prompts:
        raise InputShapeError(f"--prompt is for SAM models; {name} takes no prompts")
    if shape.seq_len is not None and modality in NO_TOKENS:
        raise InputShapeError(f"{name} is a vision model: --seq-len does not apply; use --image-size")
    if shape.image_size is not None and config.image_step() is None:
        raise InputShapeError(f"{name} is a text model: --image-size does not apply; use --seq-len")
    if shape.tgt_len is not None and not config.encoder_decoder:
        raise InputShapeError(f"--tgt-len is for encoder-decoders; {name} has no separate decoder input")


def check_forward_fits(spec: ResolvedSpec, x: ResolvedInput, instead: str = "") -> None:
    """A meta forward needs every tensor's byte size to fit in int64: refuse, with the size,
    an input whose attention scores could not exist (the closed form says how big, instantly)."""
    b = spec.config.macs(x)
    if b.attn_matrix > MAX_TENSOR_ELEMENTS:
        raise InputShapeError(
            f"{spec.name} at this input needs attention score matrices of {b.attn_matrix:.3g} elements "
            f"(batch × heads × {b.tokens:,}²), more than one tensor can hold; use a shorter --seq-len "
            f"or a smaller --batch{instead}"
        )


def resolve_input(spec: ResolvedSpec, shape: InputShape, *, strict: bool = True, forward: bool = False,
                  instead: str = "") -> ResolvedInput:
    """`strict=False` (compare: one input for models of different kinds) lets each model
    read only the options that apply to it; `forward=True`: the command runs the model on
    meta at this input, so its tensors must be able to exist (`instead`: what else to try)."""
    if strict:
        check_options(spec, shape)
    x = spec.config.resolve_input(shape)
    if forward:
        check_forward_fits(spec, x, instead)
    return x


def input_record(x: InputShape | ResolvedInput) -> dict:
    """The input a command ran at, as every --json names it (the option names: seq_len, ...)."""
    return {"batch": x.batch, "seq_len": x.seq_len, "tgt_len": x.tgt_len, "image_size": x.image_size,
            "audio_seconds": x.audio_seconds, "prompt": x.prompt}
