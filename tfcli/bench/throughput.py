"""What one forward pass processes, in a unit that is true for the model.

Read off the inputs forward() takes, not the family's name: a batch of images (B, C, H, W)
— pixels, or the latents a UNet denoises — counts B images, whatever text or prompts ride
along; otherwise the token-id tensors (B, T) count every token, source and target alike.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ItemCount:
    items: int  # per pass
    unit: str  # "tokens" | "images" | "audio_seconds" | "samples"
    note: str | None = None  # what is and is not counted, when the table cannot say it


def count_items(inputs: dict, x=None) -> ItemCount:
    """Items per pass of forward(**inputs); shapes only, so meta tensors do. Audio is
    counted in seconds, from the resolved input `x` (what a spectrogram's frames stand for)."""
    import torch

    if x is not None and getattr(x, "audio_seconds", None):
        return ItemCount(x.batch * x.audio_seconds, "audio_seconds",
                         "audio seconds/s: seconds of audio transcribed per second (a real-time factor); "
                         "the decoder's tokens ride along uncounted")

    tensors = {k: v for k, v in inputs.items() if torch.is_tensor(v)}
    images = [k for k, v in tensors.items() if v.is_floating_point() and v.dim() == 4]
    if images:
        name = images[0]
        rest = [k for k in tensors if k != name]
        are = "is" if len(rest) == 1 else "are"
        note = f"images/s counts the {name} batch; {', '.join(rest)} {are} not counted" if rest else None
        return ItemCount(int(tensors[name].shape[0]), "images", note)
    token_ids = [k for k, v in tensors.items() if not v.is_floating_point() and v.dim() == 2]  # (B, T)
    if token_ids:
        tokens = sum(int(tensors[k].numel()) for k in token_ids)
        note = None
        if len(token_ids) > 1:  # an encoder-decoder: say that both sides are counted
            note = f"tokens/s counts encoder and decoder tokens together ({' + '.join(token_ids)})"
        return ItemCount(tokens, "tokens", note)
    first = next(iter(tensors.values()))
    return ItemCount(int(first.shape[0]), "samples", "samples/s: the inputs hold neither images nor token ids")
