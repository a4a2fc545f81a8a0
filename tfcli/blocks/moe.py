"""A mixture-of-experts feed-forward that really routes: router → top-k → experts → weighted sum."""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks.mlp import FeedForward
from tfcli.spec.moe import MoESpec


class Router(nn.Linear):
    """d_model → num_experts logits; its MACs are the `router` category."""

    category = "router"


class MoE(nn.Module):
    category = "feed-forward"

    def __init__(self, spec: MoESpec):
        super().__init__()
        self.num_experts, self.top_k = spec.num_experts, spec.top_k
        self.scoring, self.norm_topk, self.scaling = spec.scoring, spec.norm_topk, spec.scaling
        self.num_groups, self.topk_groups = spec.num_groups, spec.topk_groups
        self.router = Router(spec.d_model, spec.num_experts, bias=False)
        if spec.score_bias:  # DeepSeek-V3: shifts which experts are chosen, not their weights
            self.register_buffer("score_bias", torch.zeros(spec.num_experts))
        else:
            self.score_bias = None
        self.experts = nn.ModuleList(FeedForward.from_spec(spec.expert) for _ in range(spec.num_experts))
        self.shared = FeedForward.from_spec(spec.shared) if spec.shared is not None else None
        self.inactive_params = (spec.num_experts - spec.top_k) * spec.expert.num_params()  # per token

    @classmethod
    def from_spec(cls, spec: MoESpec) -> "MoE":
        return cls(spec)

    def route(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(tokens, d) → the top_k experts of each token and their weights, (tokens, top_k)."""
        logits = self.router(h)
        scores = logits.softmax(dim=-1) if self.scoring == "softmax" else logits.sigmoid()
        choice = scores if self.score_bias is None else scores + self.score_bias
        if self.num_groups > 1:  # only the best topk_groups groups of experts compete
            grouped = choice.view(-1, self.num_groups, self.num_experts // self.num_groups)
            # DeepSeek-V3 ranks a group by its two best scores, V2 by its best
            rank = grouped.topk(2, dim=-1)[0].sum(-1) if self.score_bias is not None else grouped.amax(-1)
            keep = rank.topk(self.topk_groups, dim=-1)[1]
            mask = torch.zeros_like(rank).scatter(1, keep, 1.0) > 0
            choice = choice.masked_fill(~mask.repeat_interleave(self.num_experts // self.num_groups, dim=1),
                                        float("-inf"))
        index = choice.topk(self.top_k, dim=-1)[1]
        weights = scores.gather(1, index)
        if self.norm_topk:  # Mixtral: the chosen experts' weights sum to 1
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return weights * self.scaling if self.scaling != 1.0 else weights, index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(-1, x.shape[-1])  # (N, d)
        weights, index = self.route(h)
        flat = index.reshape(-1)  # (N·k,) the expert of each (token, choice)
        order = flat.argsort()  # (token, choice) pairs grouped by expert
        token = order // self.top_k  # the token each grouped row reads
        if h.device.type == "meta":
            # Meta tensors hold no values, so which expert gets how many rows is unknowable.
            # Every dropless routing sends N·top_k rows in all through the experts, and an
            # expert's MACs are linear in its rows: spread them evenly (the remainder one per
            # expert), and the total, hence the MACs, is exactly that of any real routing.
            q, r = divmod(int(flat.shape[0]), self.num_experts)
            counts = [q + (e < r) for e in range(self.num_experts)]
        else:
            counts = torch.bincount(flat, minlength=self.num_experts).tolist()
        rows = h[token].split(counts)
        y = torch.cat([expert(chunk) for expert, chunk in zip(self.experts, rows)])
        y = y * weights.reshape(-1)[order].unsqueeze(-1)
        out = torch.zeros_like(h).index_add(0, token, y)
        if self.shared is not None:
            out = out + self.shared(h)
        return out.view(x.shape)
