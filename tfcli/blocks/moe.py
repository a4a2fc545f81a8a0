"""A mixture-of-experts feed-forward that really routes: router → top-k → experts → weighted sum."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks.mlp import FeedForward, activation_fn
from tfcli.spec.moe import MoESpec
from tfcli.spec.parts import FeedForwardSpec


class Router(nn.Linear):
    """d_model → num_experts logits; its MACs are the `router` category."""

    category = "router"


class Experts(nn.Module):
    """`num_experts` feed-forwards of one shape, their weights stacked (as transformers stores
    them): building and counting 256 × 58 separate modules would take DeepSeek-V3 minutes on meta.
    The layer tree shows them as `experts 0–(n-1) × n` (tree_repeat)."""

    category = "feed_forward"

    def __init__(self, spec: FeedForwardSpec, num_experts: int):
        super().__init__()
        self.gated, self.activation, self.act = spec.gated, spec.activation, activation_fn(spec.activation)
        self.tree_repeat = num_experts
        n, d, f = num_experts, spec.d_model, spec.ffn_dim * (2 if spec.gated else 1)
        self.fc1 = nn.Parameter(torch.empty(n, f, d))  # gated: gate and value in one matmul
        self.fc2 = nn.Parameter(torch.empty(n, d, spec.ffn_dim))
        self.fc1_bias = nn.Parameter(torch.zeros(n, f)) if spec.bias else None
        self.fc2_bias = nn.Parameter(torch.zeros(n, d)) if spec.bias else None
        # as nn.Linear's default, per expert (skipped on meta like every init)
        nn.init.uniform_(self.fc1, -d**-0.5, d**-0.5)
        nn.init.uniform_(self.fc2, -spec.ffn_dim**-0.5, spec.ffn_dim**-0.5)

    def _hidden(self, h: torch.Tensor) -> torch.Tensor:
        if self.gated:
            gate, value = h.chunk(2, dim=-1)
            return self.act(gate) * value
        return self.act(h)

    def forward(self, rows: torch.Tensor, counts: list[int]) -> torch.Tensor:
        """`rows` grouped by expert, counts[e] of them for expert e → their outputs, same order."""
        if rows.device.type == "meta":
            return self._batched(rows, counts)
        out = []
        for e, chunk in enumerate(rows.split(counts)):
            if chunk.shape[0] == 0:
                continue
            h = F.linear(chunk, self.fc1[e], None if self.fc1_bias is None else self.fc1_bias[e])
            out.append(F.linear(self._hidden(h), self.fc2[e], None if self.fc2_bias is None else self.fc2_bias[e]))
        return torch.cat(out) if out else rows.new_zeros(rows.shape)

    def _batched(self, rows: torch.Tensor, counts: list[int]) -> torch.Tensor:
        """Experts with equal row counts as one batched matmul each run of them (the even
        split on meta has at most two counts): the same MACs as one matmul per expert."""
        out, start, e = [], 0, 0
        while e < len(counts):
            m, first = counts[e], e
            while e < len(counts) and counts[e] == m:
                e += 1
            if m == 0:
                continue
            x = rows[start:start + m * (e - first)].view(e - first, m, -1)  # (experts, m, d)
            start += m * (e - first)
            h = torch.bmm(x, self.fc1[first:e].transpose(1, 2))
            if self.fc1_bias is not None:
                h = h + self.fc1_bias[first:e].unsqueeze(1)
            y = torch.bmm(self._hidden(h), self.fc2[first:e].transpose(1, 2))
            if self.fc2_bias is not None:
                y = y + self.fc2_bias[first:e].unsqueeze(1)
            out.append(y.reshape(-1, y.shape[-1]))
        return torch.cat(out)


class MoE(nn.Module):
    category = "feed_forward"

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
        self.experts = Experts(spec.expert, spec.num_experts)
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
        y = self.experts(h[token], counts) * weights.reshape(-1)[order].unsqueeze(-1)
        out = torch.zeros_like(h).index_add(0, token, y)
        if self.shared is not None:
            out = out + self.shared(h)
        return out.view(x.shape)
