"""The input a command feeds a model: what the user asked for, and the same resolved once
against the config (defaults filled, token counts named, notes said once). No torch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class InputShape:
    """The input options as given; None means the family's default."""

    batch: int = 1
    seq_len: int | None = None
    tgt_len: int | None = None
    image_size: int | None = None
    prompt: str | None = None  # SAM's prompts, e.g. "points=2,box" (--prompt)
    audio_seconds: float | None = None  # seconds of audio for audio models (--audio-seconds)


@dataclass
class ResolvedInput:
    """`config.resolve_input(shape)`: every length the model runs at, made once per command.

    `lengths` names the token counts the layout's parts run over ("tokens" is the main
    stack; "target" an encoder-decoder's decoder; "patches", "one" for read-outs;
    "frames" an audio model's log-mel frames);
    `lines` are the inspect header's token-count lines; `notes` what every command says
    about how it reads the input (one wording, made here)."""

    batch: int = 1
    seq_len: int | None = None  # text tokens (the source of an encoder-decoder)
    tgt_len: int | None = None  # decoder tokens of an encoder-decoder
    image_size: int | None = None  # image side in pixels
    prompt: str | None = None
    audio_seconds: float | None = None  # seconds of audio (Whisper: 30 s = 3000 log-mel frames)
    lengths: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tokens: int = 0  # tokens of the main stack: what complexity sweeps and the KV cache holds

    def shape(self) -> InputShape:
        """Back to options, every field filled (a model rebuilt per size reads these)."""
        return InputShape(self.batch, self.seq_len, self.tgt_len, self.image_size, self.prompt, self.audio_seconds)
