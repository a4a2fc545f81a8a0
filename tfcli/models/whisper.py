"""Whisper: log-mel frames → two Conv1d + GELU → + stored sinusoids → pre-norm encoder;
token table + learned positions → pre-norm decoder cross-attending to it → tied head."""

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks import LearnedPositions, LMHead, SinusoidalPositions, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets.whisper import WhisperConfig
from tfcli.spec import ResolvedInput


class AudioStem(nn.Module):
    """(B, mel bins, frames) → (B, tokens, d): the second conv's stride 2 halves the frames."""

    category = "convolution"

    def __init__(self, num_mel_bins: int, dim: int):
        super().__init__()
        self.conv1 = nn.Conv1d(num_mel_bins, dim, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, kernel_size=3, stride=2, padding=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.conv1(features))  # (B, d, F)
        x = F.gelu(self.conv2(x))  # (B, d, ⌈F/2⌉)
        return x.transpose(1, 2)  # (B, N, d)


class WhisperModel(TfcliModel):
    def __init__(self, config: WhisperConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.audio_stem = AudioStem(c.num_mel_bins, c.d_model)
        pos = layout["enc_positions"]
        self.enc_positions = SinusoidalPositions(pos.dim, stored=pos.stored, halves=pos.halves)
        self.encoder = Stack(layout["encoder"])
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.dec_positions = LearnedPositions(c.max_target_positions, c.d_model)
        self.decoder = Stack(layout["decoder"])
        self.lm_head = LMHead(c.d_model, c.vocab_size)  # transformers' proj_out
        self.lm_head.tie(self.tokens)

    def components(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def inputs_for(self, x: ResolvedInput, device):
        make = torch.empty if torch.device(device).type == "meta" else torch.randn
        return {
            "input_features": make(x.batch, self.config.num_mel_bins, x.lengths["frames"], device=device),
            "decoder_input_ids": token_ids(x.batch, x.tgt_len, self.config.vocab_size, device),
        }

    def forward(self, input_features, decoder_input_ids):
        x = self.audio_stem(input_features)  # (B, N, d)
        memory = self.encoder(x + self.enc_positions(x.shape[1], x.device, x.dtype))  # (B, N, d)
        y = self.tokens(decoder_input_ids) + self.dec_positions(decoder_input_ids.shape[1])
        y = self.decoder(y, memory)  # (B, T, d)
        return self.lm_head(y)  # (B, T, vocab)
