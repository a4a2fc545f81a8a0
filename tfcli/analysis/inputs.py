"""The command's input, resolved once: the options checked against what the model reads,
then the family's own `resolve_input` (lengths, image side, token counts, notes)."""

from __future__ import annotations

from tfcli.errors import InputShapeError
from tfcli.registry import Modality
from tfcli.spec import InputShape, ResolvedInput, ResolvedSpec

# modalities whose models read no token sequence (--seq-len means nothing to them)
NO_TOKENS = (Modality.VISION, Modality.IMAGE, Modality.IMAGE_PROMPTS)


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


def resolve_input(spec: ResolvedSpec, shape: InputShape, *, strict: bool = True) -> ResolvedInput:
    """`strict=False` (compare: one input for models of different kinds) lets each model
    read only the options that apply to it."""
    if strict:
        check_options(spec, shape)
    return spec.config.resolve_input(shape)
