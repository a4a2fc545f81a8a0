"""Shared building blocks, written once and composed by every family (torch imported here)."""

from tfcli.blocks.attention import Attention
from tfcli.blocks.block import Block, Stack
from tfcli.blocks.embeddings import (
    Alibi,
    LearnedPositions,
    PatchEmbedding,
    Rotary,
    SinusoidalPositions,
    T5RelativeBias,
    TokenEmbedding,
)
from tfcli.blocks.heads import ClassifierHead, LMHead, MLMHead, Pooler
from tfcli.blocks.mlp import FeedForward
from tfcli.blocks.norms import make_norm

__all__ = [
    "Alibi",
    "Attention",
    "Block",
    "ClassifierHead",
    "FeedForward",
    "LMHead",
    "MLMHead",
    "LearnedPositions",
    "PatchEmbedding",
    "Pooler",
    "Rotary",
    "SinusoidalPositions",
    "Stack",
    "T5RelativeBias",
    "TokenEmbedding",
    "make_norm",
]
