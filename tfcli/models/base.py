"""What every family's model provides to the analysis: its config, its inputs, its parts."""

from __future__ import annotations

import torch
from torch import nn

from tfcli.spec import ArchConfig, InputShape


class TfcliModel(nn.Module):
    config: ArchConfig

    def example_inputs(self, shape: InputShape, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Keyword arguments for forward() at `shape` (defaults from the config)."""
        raise NotImplementedError

    def describe_input(self, shape: InputShape) -> list[str]:
        """Lines the inspect header shows under the input (e.g. a ViT's token count)."""
        return []

    def input_notes(self, shape: InputShape) -> list[str]:
        """Notes every command prints about how it reads the input (e.g. pixels → latents)."""
        return []

    def components(self) -> dict[str, nn.Module]:
        """Named parts shown separately (towers, encoder/decoder, UNet levels)."""
        return {}

    def context_length(self) -> int | None:
        """Longest sequence the position table was trained for (None: unbounded)."""
        return getattr(self.config, "max_positions", None)


def token_ids(batch: int, seq_len: int, vocab_size: int, device) -> torch.Tensor:
    if torch.device(device).type == "meta":
        return torch.empty(batch, seq_len, dtype=torch.long, device=device)
    return torch.randint(0, vocab_size, (batch, seq_len), device=device)  # (B, T)


def image_batch(batch: int, channels: int, size: int, device) -> torch.Tensor:
    """(B, C, H, W) random images; on meta only the shape exists."""
    make = torch.empty if torch.device(device).type == "meta" else torch.randn
    return make(batch, channels, size, size, device=device)


def seq_len_of(shape: InputShape, config: ArchConfig) -> int:
    return shape.seq_len or config.default_input().seq_len or 128


def seq2seq_inputs(shape: InputShape, config: ArchConfig, device) -> dict[str, torch.Tensor]:
    """Source tokens for the encoder, target tokens for the decoder (--tgt-len, default --seq-len)."""
    src = seq_len_of(shape, config)
    tgt = shape.tgt_len or src
    return {
        "input_ids": token_ids(shape.batch, src, config.vocab_size, device),
        "decoder_input_ids": token_ids(shape.batch, tgt, config.vocab_size, device),
    }
