"""Stable Diffusion's parts: ResNet blocks, spatial transformers, UNet, VAE, and the wiring."""
