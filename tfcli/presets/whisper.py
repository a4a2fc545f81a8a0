"""Whisper: speech recognition as an encoder-decoder over audio. Two 1-D convolutions turn
log-mel frames into encoder tokens (30 s = 3000 frames → 1500 tokens), stored sinusoidal
encoder positions, a text decoder with learned positions, pre-norm stacks with final norms."""

import math
from dataclasses import dataclass
from typing import ClassVar

from tfcli.errors import InputShapeError
from tfcli.presets._text import SinusoidalSpec, check_attention, check_choices
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (
    ArchConfig, InputShape, Layout, LMHeadSpec, ResolvedInput, StackSpec, Table, block_spec, past_positions_note,
)
from tfcli.spec.parts import Conv1dSpec

FRAMES_PER_SECOND = 100  # log-mel frames: a 10 ms hop (160 samples at 16 kHz)
DECODER_TOKENS = 128  # decoder tokens when --tgt-len is not given


def encoder_tokens(frames: int) -> int:
    """Tokens after the stride-2 conv (kernel 3, padding 1): ⌈frames / 2⌉."""
    return (frames - 1) // 2 + 1


@dataclass
class WhisperConfig(ArchConfig):
    vocab_size: int = 51865
    d_model: int = 384
    num_layers: int = 4  # encoder
    num_decoder_layers: int = 4
    num_heads: int = 6
    ffn_dim: int = 1536
    num_mel_bins: int = 80
    max_source_positions: int = 1500  # encoder tokens of a 30 s window: its stored sinusoid table
    max_target_positions: int = 448  # the decoder's learned position table
    activation: str = "gelu"
    norm_eps: float = 1e-5

    encoder_decoder: ClassVar[bool] = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def default_input(self) -> InputShape:
        # the window Whisper is trained on: as many frames as the encoder has positions, × 2
        return InputShape(tgt_len=DECODER_TOKENS,
                          audio_seconds=2 * self.max_source_positions / FRAMES_PER_SECOND)

    def context_length(self) -> int | None:
        return self.max_target_positions

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        """--audio-seconds of audio (default 30) for the encoder, --tgt-len decoder tokens (default 128)."""
        seconds = shape.audio_seconds if shape.audio_seconds is not None else self.default_input().audio_seconds
        frames = math.floor(seconds * FRAMES_PER_SECOND + 1e-9)  # a partial 10 ms hop makes no frame
        if frames < 1:
            raise InputShapeError(f"--audio-seconds {seconds:g} is shorter than one 10 ms log-mel frame")
        n, t = encoder_tokens(frames), shape.tgt_len or DECODER_TOKENS
        x = ResolvedInput(
            batch=shape.batch or 1, tgt_len=t, audio_seconds=seconds, tokens=n,
            lengths={"frames": frames, "tokens": n, "target": t, "one": 1},
            lines=[f"audio: {seconds:g} s = {frames} log-mel frames × {self.num_mel_bins} bins (10 ms hop)",
                   f"tokens: {n} encoder (the stride-2 conv halves the frames) + {t} decoder"],
        )
        if n != self.max_source_positions:
            x.notes.append(
                f"{seconds:g} s gives {n} encoder tokens; Whisper is trained on {self.max_source_positions} "
                f"(transformers pads every input to {2 * self.max_source_positions} frames). Counted at {n}"
                + (", the stored positions wrapping around" if n > self.max_source_positions else ""))
        if t > self.max_target_positions:
            x.notes.append(past_positions_note(t, self.max_target_positions))
        return x

    def layout(self) -> Layout:
        d = self.d_model
        kw = dict(activation=self.activation, norm_eps=self.norm_eps, k_bias=False)  # K has no bias
        enc = block_spec(d, self.num_heads, self.ffn_dim, **kw)
        dec = block_spec(d, self.num_heads, self.ffn_dim, **kw, causal=True, cross_dim=d)
        layout = Layout()
        layout.add("conv1", Conv1dSpec(self.num_mel_bins, d, 3), rows="frames")
        layout.add("conv2", Conv1dSpec(d, d, 3, stride=2), rows="tokens")  # halves the frames
        # a frozen table (transformers keeps it as a parameter with requires_grad off: counted)
        layout.add("enc_positions", SinusoidalSpec(d, stored=self.max_source_positions, halves=True))
        layout.add("encoder", StackSpec(enc, self.num_layers))
        layout.add("tokens_table", Table(self.vocab_size, d), rows="target")
        layout.add("dec_positions", Table(self.max_target_positions, d, lookup="positions"), rows="target")
        layout.add("decoder", StackSpec(dec, self.num_decoder_layers), rows="target", context="tokens",
                   generates=True)
        return layout.add("lm_head", LMHeadSpec(d, self.vocab_size, tied=True), rows="target")  # proj_out


def from_hf(f) -> ArchConfig:
    f.architecture_is("WhisperForConditionalGeneration")
    f.same("encoder_attention_heads", "decoder_attention_heads")
    f.same("encoder_ffn_dim", "decoder_ffn_dim")
    f.expect("tie_word_embeddings", True, "tfcli ties proj_out to the decoder's token table, as the checkpoints do")
    if f.bool("scale_embedding", False):
        f.note("scale_embedding", "decoder embeddings × √d_model: elementwise, counts unchanged")
    return WhisperConfig(
        vocab_size=f.int("vocab_size", 51865, to="vocab_size"),
        d_model=f.int("d_model", 384, to="d_model"),
        num_layers=f.int("encoder_layers", 4, to="num_layers"),
        num_decoder_layers=f.int("decoder_layers", 4, to="num_decoder_layers"),
        num_heads=f.int("encoder_attention_heads", 6, to="num_heads"),
        ffn_dim=f.int("encoder_ffn_dim", 1536, to="ffn_dim"),
        num_mel_bins=f.int("num_mel_bins", 80, to="num_mel_bins"),
        max_source_positions=f.int("max_source_positions", 1500, to="max_source_positions"),
        max_target_positions=f.int("max_target_positions", 448, to="max_target_positions"),
        activation=f.activation("activation_function", "gelu"),
    )


_REF = ("transformers 5.24 WhisperForConditionalGeneration ({}): the encoder's sinusoid table is a "
        "frozen parameter (counted), proj_out tied to the decoder's token table")


def _sizes(d: int, layers: int, heads: int) -> WhisperConfig:
    return WhisperConfig(d_model=d, num_layers=layers, num_decoder_layers=layers, num_heads=heads, ffn_dim=4 * d)


FAMILY = register(Family(
    "whisper",
    WhisperConfig,
    builder="tfcli.models.whisper:WhisperModel",
    kind="audio encoder-decoder",
    modality=Modality.AUDIO,
    description="speech recognition: a conv front-end over log-mel frames, encoder-decoder Transformer",
    presets=(
        Preset("whisper-tiny", WhisperConfig, params=37_760_640, macs=24_513_839_616,
               aliases=("whisper", "openai/whisper-tiny"), reference=_REF.format("openai/whisper-tiny")),
        Preset("whisper-base", lambda: _sizes(512, 6, 8), params=72_593_920, macs=55_956_486_144,
               aliases=("openai/whisper-base",), reference=_REF.format("openai/whisper-base")),
        Preset("whisper-small", lambda: _sizes(768, 12, 12), params=241_734_912, macs=215_100_048_384,
               aliases=("openai/whisper-small",), reference=_REF.format("openai/whisper-small")),
    ),
    facts=FamilyFacts(
        "Whisper",
        Text("weakly supervised speech → transcript (680k hours, many languages and tasks)",
             "弱监督的语音→文字稿（68 万小时，多语言、多任务）"),
        Text("speech recognition, speech translation, language identification", "语音辨识、语音翻译、语言辨识"),
        Text(
            "audio in, text out is a sequence-to-sequence map: the encoder reads 30 s of log-mel frames "
            "(two convolutions make them 1500 tokens), the decoder writes the transcript token by token",
            "输入音频、输出文字，正是序列到序列的映射：Encoder 读 30 秒的 log-mel 帧（两层卷积变成 1500 个 token），"
            "Decoder 逐个 token 写出文字稿",
        ),
    ),
    hf_mappers={"whisper": from_hf},
))
