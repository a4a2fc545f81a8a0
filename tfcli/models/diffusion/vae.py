"""SD1.5's autoencoder: diffusers' AutoencoderKL, built from a VAEConfig.

The encoder maps an image (B, 3, 512, 512) to a Gaussian over latents (B, 4, 64, 64);
the decoder maps latents back to an image. Attention appears only in each mid block.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.models.base import TfcliModel
from tfcli.models.diffusion.resnet import Downsample, ResnetBlock, Upsample
from tfcli.models.diffusion.transformer2d import SpatialSelfAttention
from tfcli.presets.diffusion import check_image_side
from tfcli.presets.diffusion import VAEConfig
from tfcli.spec import ResolvedInput

EPS = 1e-6  # the VAE's GroupNorm epsilon


def _resnets(c_in: int, c_out: int, n: int, groups: int) -> nn.ModuleList:
    return nn.ModuleList(ResnetBlock(c_in if j == 0 else c_out, c_out, 0, groups, EPS) for j in range(n))


class EncoderLevel(nn.Module):
    def __init__(self, c_in: int, c_out: int, n: int, groups: int, downsample: bool):
        super().__init__()
        self.resnets = _resnets(c_in, c_out, n, groups)
        self.downsample = Downsample(c_out, asymmetric=True) if downsample else None

    def forward(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        return self.downsample(x) if self.downsample is not None else x


class DecoderLevel(nn.Module):
    def __init__(self, c_in: int, c_out: int, n: int, groups: int, upsample: bool):
        super().__init__()
        self.resnets = _resnets(c_in, c_out, n, groups)
        self.upsample = Upsample(c_out) if upsample else None

    def forward(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        return self.upsample(x) if self.upsample is not None else x


class VAEMidBlock(nn.Module):
    """ResNet → single-head self-attention over all pixels → ResNet, at the latent resolution."""

    def __init__(self, c: int, groups: int):
        super().__init__()
        self.resnets = _resnets(c, c, 2, groups)
        self.attentions = nn.ModuleList([SpatialSelfAttention(c, groups)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        ch, g, n = cfg.block_out_channels, cfg.norm_num_groups, len(cfg.block_out_channels)
        self.conv_in = nn.Conv2d(cfg.in_channels, ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList(
            EncoderLevel(ch[max(i - 1, 0)], c, cfg.layers_per_block, g, i < n - 1) for i, c in enumerate(ch)
        )
        self.mid_block = VAEMidBlock(ch[-1], g)
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=EPS)
        # mean and log-variance for each latent channel
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg.latent_channels, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)  # (B, 128, 512, 512)
        for level in self.down_blocks:
            x = level(x)
        x = self.mid_block(x)  # (B, 512, 64, 64)
        return self.conv_out(F.silu(self.conv_norm_out(x)))  # (B, 8, 64, 64)


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        rev, g, n = cfg.block_out_channels[::-1], cfg.norm_num_groups, len(cfg.block_out_channels)
        self.conv_in = nn.Conv2d(cfg.latent_channels, rev[0], 3, padding=1)
        self.mid_block = VAEMidBlock(rev[0], g)
        # one ResNet more per level than the encoder
        self.up_blocks = nn.ModuleList(
            DecoderLevel(rev[max(i - 1, 0)], c, cfg.layers_per_block + 1, g, i < n - 1) for i, c in enumerate(rev)
        )
        self.conv_norm_out = nn.GroupNorm(g, rev[-1], eps=EPS)
        self.conv_out = nn.Conv2d(rev[-1], cfg.out_channels, 3, padding=1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))  # (B, 512, 64, 64)
        for level in self.up_blocks:
            x = level(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))  # (B, 3, 512, 512)


class AutoencoderKL(TfcliModel):
    """forward = encode → sample a latent from the posterior → decode (a reconstruction)."""

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = c = config
        self.encoder = Encoder(c)
        self.quant_conv = nn.Conv2d(2 * c.latent_channels, 2 * c.latent_channels, 1)
        self.post_quant_conv = nn.Conv2d(c.latent_channels, c.latent_channels, 1)
        self.decoder = Decoder(c)

    def inputs_for(self, x: ResolvedInput, device):
        return {"image": torch.randn(x.batch, self.config.in_channels, x.image_size, x.image_size, device=device)}

    def components(self) -> dict[str, nn.Module]:
        return {
            "encoder": self.encoder,
            "quant_conv": self.quant_conv,
            "post_quant_conv": self.post_quant_conv,
            "decoder": self.decoder,
        }

    def encode(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.quant_conv(self.encoder(image)).chunk(2, dim=1)  # (B, 4, H/8, W/8) each
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(z))

    def forward(self, image):
        for side in image.shape[-2:]:
            check_image_side(side, self.config)
        mean, logvar = self.encode(image)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)  # a sample from the posterior
        return self.decode(z)  # (B, 3, H, W)
