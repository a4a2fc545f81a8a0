"""What every family's model provides to the analysis: its config, its inputs, its parts."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from tfcli.spec import ArchConfig, InputShape, ResolvedInput


class TfcliModel(nn.Module):
    config: ArchConfig
    takes_prompts: ClassVar[bool] = False  # SAM: --prompt means something to it
    graph_outputs: ClassVar[tuple[str, ...]] = ()  # what `tfcli graph` calls forward's outputs

    def example_inputs(self, x: ResolvedInput | InputShape, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Keyword arguments for forward() at the resolved input (an InputShape is resolved here)."""
        if isinstance(x, InputShape):
            x = self.config.resolve_input(x)
        if torch.device(device).type != "meta":
            return self.inputs_for(x, device)
        from tfcli.meta_shapes import MetaShapes

        with MetaShapes():  # meta inputs made with torch.randn (the UNet's latents) take tfcli's rules
            return self.inputs_for(x, device)

    def inputs_for(self, x: ResolvedInput, device) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def components(self) -> dict[str, nn.Module]:
        """Named parts shown separately (towers, encoder/decoder, UNet levels)."""
        return {}


def token_ids(batch: int, seq_len: int, vocab_size: int, device) -> torch.Tensor:
    if torch.device(device).type == "meta":
        return torch.empty(batch, seq_len, dtype=torch.long, device=device)
    return torch.randint(0, vocab_size, (batch, seq_len), device=device)  # (B, T)


def image_batch(batch: int, channels: int, size: int, device) -> torch.Tensor:
    """(B, C, H, W) random images; on meta only the shape exists."""
    make = torch.empty if torch.device(device).type == "meta" else torch.randn
    return make(batch, channels, size, size, device=device)


def seq2seq_inputs(x: ResolvedInput, vocab_size: int, device) -> dict[str, torch.Tensor]:
    """Source tokens for the encoder, target tokens for the decoder."""
    return {
        "input_ids": token_ids(x.batch, x.seq_len, vocab_size, device),
        "decoder_input_ids": token_ids(x.batch, x.tgt_len, vocab_size, device),
    }
