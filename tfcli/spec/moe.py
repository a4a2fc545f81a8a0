"""Mixture-of-experts feed-forward and multi-head latent attention parts. No torch.

MoESpec (Mixtral, DeepSeek): a router scores `num_experts` expert feed-forwards per token,
the token runs through its `top_k` best and, in DeepSeek, through always-on shared experts.
Every expert's weights are parameters; a token's MACs and its *active* parameters are the
router's, top_k experts' and the shared experts'.

MLASpec (DeepSeek-V2/V3): keys and values are rebuilt per head from one low-rank latent per
token (plus a shared rotary key), so the KV cache holds kv_lora_rank + qk_rope_head_dim
numbers per token and layer instead of 2 · heads · head_dim.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfcli.spec.parts import FeedForwardSpec, NormSpec, Part, _linear_params


@dataclass(frozen=True)
class MoESpec(Part):
    """Router (d_model → num_experts, no bias) + routed experts + optional shared experts.

    Routing (the module's forward; none of it costs MACs): scores = softmax (Mixtral,
    DeepSeek-V2) or sigmoid (DeepSeek-V3, plus its e_score_correction_bias buffer for the
    choice only) of the router logits; with num_groups > 1 only the best `topk_groups`
    groups of experts compete; the top_k weights are renormalised when `norm_topk` (Mixtral,
    V3) and multiplied by `scaling` (DeepSeek's routed_scaling_factor)."""

    expert: FeedForwardSpec  # one routed expert
    num_experts: int
    top_k: int
    shared: FeedForwardSpec | None = None  # DeepSeek's shared experts, as one wider FFN
    scoring: str = "softmax"  # "softmax" | "sigmoid"
    norm_topk: bool = True
    scaling: float = 1.0
    score_bias: bool = False  # V3: a per-expert bias added to the scores to choose (a buffer)
    num_groups: int = 1
    topk_groups: int = 1

    @property
    def d_model(self) -> int:
        return self.expert.d_model

    def router_params(self) -> int:
        return _linear_params(self.d_model, self.num_experts, False)

    def _shared_params(self) -> int:
        return self.shared.num_params() if self.shared is not None else 0

    def num_params(self) -> int:
        return self.router_params() + self.num_experts * self.expert.num_params() + self._shared_params()

    def num_active_params(self) -> int:
        return self.router_params() + self.top_k * self.expert.num_params() + self._shared_params()

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("router", rows, self.d_model, self.num_experts, times)
        # each token's top_k experts: rows · top_k expert rows in all, however they are spread
        self.expert.add_macs(t, rows, times=times * self.top_k)
        if self.shared is not None:
            self.shared.add_macs(t, rows, times=times)

    def add_saved(self, s, rows, context=None, times=1):
        """Routing keeps the router's input, the scores, the chosen experts (int64) and, renormalised,
        their weights and sum; dispatch keeps the order and token of each of the N·top_k rows;
        the experts keep the dispatched rows and their hidden units; the combine keeps the experts'
        outputs, the weights in that order and the weighted outputs. Shared experts read the input."""
        n, k, d, e = times * rows, self.top_k, self.d_model, self.num_experts
        s.add("router", n * d)
        s.add("feed_forward", n * e + (n * k + n if self.norm_topk else 0))
        s.add("feed_forward", 3 * n * k, "index")  # the top-k choice, the dispatch order, each row's token
        if self.num_groups > 1:  # each group's rank (V3: its two best, as indices; V2: its best),
            # the groups kept (indices) and the mask of their experts
            g = self.num_groups
            s.add("feed_forward", n * (2 * g if self.score_bias else 0) + n * self.topk_groups, "index")
            if not self.score_bias:
                s.add("feed_forward", n * g)
            s.add("feed_forward", n * e, "mask")
        s.add("feed_forward", n * k * (3 * d + 1 + self.expert.hidden_saved))
        if self.shared is not None:
            s.add("feed_forward", n * self.shared.hidden_saved)


@dataclass(frozen=True)
class MLASpec(Part):
    """Multi-head latent attention (DeepSeek-V2/V3), causal, no biases but `bias` on the
    down-projections (attention_bias).

        q  = q_b(norm(q_a(x)))  (q_lora_rank set)  or  q_proj(x)           per head: nope + rope
        c  = kv_a_proj_with_mqa(x) = [latent (kv_lora_rank) | k_rope (qk_rope_head_dim)]
        k_nope, v = kv_b(norm(latent))                                     per head: nope, v_head_dim
        y  = o_proj(SDPA(q, [k_nope | k_rope], v))
    """

    d_model: int
    num_heads: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    q_lora_rank: int | None = None  # None: a plain q_proj (DeepSeek-V2-Lite)
    bias: bool = False
    norm_eps: float = 1e-6
    causal: bool = True

    cross = False  # self-attention only
    sliding_window = 0  # attends to the whole past (what the KV-cache arithmetic asks)

    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def q_out(self) -> int:
        return self.num_heads * self.qk_head_dim

    @property
    def kv_b_out(self) -> int:
        return self.num_heads * (self.qk_nope_head_dim + self.v_head_dim)

    def latent_norm(self, dim: int) -> NormSpec:
        return NormSpec("rms", dim, self.norm_eps, bias=False)

    def num_params(self) -> int:
        if self.q_lora_rank is None:
            q = _linear_params(self.d_model, self.q_out, False)
        else:
            q = (_linear_params(self.d_model, self.q_lora_rank, self.bias) + self.q_lora_rank
                 + _linear_params(self.q_lora_rank, self.q_out, False))
        kv = (_linear_params(self.d_model, self.kv_lora_rank + self.qk_rope_head_dim, self.bias) + self.kv_lora_rank
              + _linear_params(self.kv_lora_rank, self.kv_b_out, False))
        return q + kv + _linear_params(self.num_heads * self.v_head_dim, self.d_model, self.bias)

    def add_macs(self, t, rows, context=None, times=1):
        if self.q_lora_rank is None:
            t.linear("attn_proj", rows, self.d_model, self.q_out, times)
        else:
            t.linear("attn_proj", rows, self.d_model, self.q_lora_rank, times)
            self.latent_norm(self.q_lora_rank).add_macs(t, rows, times=times)
            t.linear("attn_proj", rows, self.q_lora_rank, self.q_out, times)
        t.linear("attn_proj", rows, self.d_model, self.kv_lora_rank + self.qk_rope_head_dim, times)
        self.latent_norm(self.kv_lora_rank).add_macs(t, rows, times=times)
        t.linear("attn_proj", rows, self.kv_lora_rank, self.kv_b_out, times)
        t.attention(self.num_heads, rows, rows, self.qk_head_dim, causal=self.causal, times=times,
                    v_dim=self.v_head_dim)
        t.linear("attn_proj", rows, self.num_heads * self.v_head_dim, self.d_model, times)

    def add_saved(self, s, rows, context=None, times=1):
        """The input (Q's and the latent's projections read one tensor); each latent's RMSNorm
        (fp32: its input, normalised, rstd) and the up-projection's input; the keys' RoPE
        tables (the model's); then, because Q/K and V heads differ in size, SDPA's math path
        on CPU: scaled Q and K copies, the probabilities (B·h·T·T), the up-projected K/V
        (V is a view of it) and the output copy the projection reads. (On CUDA the
        memory-efficient kernel keeps Q, K, V, the output and row statistics instead.)"""
        n, h = times * rows, self.num_heads
        s.add("attention", n * self.d_model)
        for width, stored in ((self.kv_lora_rank, self.kv_lora_rank + self.qk_rope_head_dim),
                              (self.q_lora_rank, self.q_lora_rank)):
            if not width:
                continue
            s.add("norms", n * (width + 1), "fp32")  # normalised, rstd
            s.add("norms", n * stored, "fp32_only")  # at fp32 the input is a view of the projection's output
            s.add("norms", n * width, "upcast")  # else an fp32 copy of it
            s.add("attention", n * width)  # the up-projection's input
        s.add("attention", 2 * n * self.q_out + times * h * rows * rows + n * self.kv_b_out + n * h * self.v_head_dim)

    def kv_per_token(self) -> int:
        """What a generating MLA layer caches per token: the latent and the shared rotary key
        (K and V per head are rebuilt from them)."""
        return self.kv_lora_rank + self.qk_rope_head_dim
