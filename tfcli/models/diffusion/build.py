"""Stable Diffusion 1.5 wired from its three parts (segment-anything style: one file per part).

What one forward of `sd15` means — one step of text-to-image sampling, end to end:
  1. the text encoder turns the prompt tokens (B, 77) into the embedding (B, 77, 768);
  2. the UNet predicts the noise in the latents (B, 4, 64, 64) at timestep t, cross-attending
     to that embedding;
  3. one DDIM-style step estimates the clean latents x0 = (x_t − √(1−ᾱ_t)·ε) / √ᾱ_t;
  4. the VAE decoder maps x0 (unscaled by 0.18215) to an image (B, 3, 512, 512).
A real sampler repeats step 2–3 for 20–50 timesteps and decodes once at the end, and with
classifier-free guidance runs the UNet on 2B latents (with and without the prompt). The VAE
encoder is built and counted but not run: text-to-image never encodes an image.
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.models.base import TfcliModel, token_ids
from tfcli.models.clip import CLIPTextTower
from tfcli.models.diffusion.unet import UNet
from tfcli.models.diffusion.vae import AutoencoderKL
from tfcli.presets.diffusion import StableDiffusionConfig
from tfcli.spec import ResolvedInput

NUM_TRAIN_TIMESTEPS = 1000


def alphas_cumprod(device) -> torch.Tensor:
    """SD's "scaled linear" noise schedule: ᾱ_t, the share of signal left at step t."""
    betas = torch.linspace(0.00085**0.5, 0.012**0.5, NUM_TRAIN_TIMESTEPS, device=device) ** 2
    return torch.cumprod(1.0 - betas, dim=0)  # (1000,)


class StableDiffusion(TfcliModel):
    def __init__(self, config: StableDiffusionConfig):
        super().__init__()
        self.config = c = config
        self.text_encoder = CLIPTextTower(c.text)
        self.unet = UNet(c.unet)
        self.vae = AutoencoderKL(c.vae)

    def inputs_for(self, x: ResolvedInput, device):
        c = self.config
        unet_inputs = self.unet.inputs_for(x, device)
        return {
            "input_ids": token_ids(x.batch, x.seq_len, c.text.vocab_size, device),
            "latents": unet_inputs["sample"],
            "timestep": unet_inputs["timestep"],
        }

    def components(self) -> dict[str, nn.Module]:
        return {"text_encoder": self.text_encoder, "unet": self.unet, "vae": self.vae}


    def forward(self, input_ids, latents, timestep):
        text, _ = self.text_encoder(input_ids)  # (B, 77, 768)
        eps = self.unet(latents, timestep, text)  # (B, 4, 64, 64): predicted noise
        a = alphas_cumprod(latents.device)[timestep].view(-1, 1, 1, 1)
        x0 = (latents - (1 - a).sqrt() * eps) / a.sqrt()  # estimate of the clean latents
        return self.vae.decode(x0 / self.config.vae.scaling_factor)  # (B, 3, 512, 512)
