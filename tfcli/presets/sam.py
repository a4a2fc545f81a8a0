"""SAM (Segment Anything): a ViT image encoder run once per image, and a light
prompt encoder + mask decoder run once per prompt.

The image encoder is a plain ViT over 16×16 patches of a 1024² image (a 64×64 grid)
whose blocks attend inside 14×14 windows, except four evenly spaced global blocks; each
block adds decomposed relative-position biases. A convolutional neck maps it to a
256-channel embedding. The mask decoder is a two-way transformer: prompt tokens and image
tokens cross-attend to each other (no causal mask anywhere). The variants differ only in
the encoder's four numbers: width, depth, heads and which layers are global.
"""

from dataclasses import dataclass

from tfcli.errors import InputShapeError
from tfcli.presets._text import check_attention
from tfcli.presets._vision import grid_size
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec.saved import SavedTally
from tfcli.spec import (
    ArchConfig, AttentionSpec, Breakdown, Counted, FeedForwardSpec, InputShape, Layout, Linear, NormSpec, PatchEmbed,
    ResolvedInput, Tally, divides, require,
)


def mlp_head(d_in: int, hidden: int, d_out: int, depth: int) -> int:
    """segment-anything's MLP: `depth` Linear layers with ReLU between."""
    dims = [d_in] + [hidden] * (depth - 1) + [d_out]
    return sum(Linear(a, b).num_params() for a, b in zip(dims, dims[1:]))


def _ln(d: int) -> int:
    return NormSpec("layer", d).num_params()


@dataclass
class Prompt:
    """What each image is prompted with: `points` clicks, and/or a box, and/or a mask."""

    points: int = 1
    box: bool = False
    mask: bool = False

    def describe(self) -> str:
        parts = [f"{self.points} point{'s' if self.points != 1 else ''}"] if self.points else []
        return " + ".join(parts + ["box"] * self.box + ["mask"] * self.mask)


PROMPT_HELP = "points=N (clicks), box, mask; comma-separated, e.g. points=2,box"


def parse_prompt(text: str | None) -> Prompt:
    """'points=2,box' → Prompt(points=2, box=True); None → one click per image."""
    if text is None:
        return Prompt()
    prompt = Prompt(points=0)
    for item in (t.strip() for t in text.split(",")):
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key in ("points", "point"):
            try:
                n = int(value)
            except ValueError:
                raise InputShapeError(f"--prompt {item!r}: points needs a whole number, e.g. points=2") from None
            if n < 0:
                raise InputShapeError(f"--prompt {item!r}: the number of points cannot be negative")
            prompt.points = n
        elif key in ("box", "mask"):
            if value.strip() not in ("", "1"):
                raise InputShapeError(
                    f"--prompt {item!r}: SAM takes one {key} per prompt; write '{key}'"
                )
            setattr(prompt, key, True)
        else:
            raise InputShapeError(f"--prompt: unknown prompt {item!r}; use {PROMPT_HELP}")
    if not (prompt.points or prompt.box or prompt.mask):
        raise InputShapeError(f"--prompt {text!r} gives SAM nothing to segment; use {PROMPT_HELP}")
    return prompt




@dataclass
class SamConfig(ArchConfig):
    # image encoder (ViT)
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    global_attn_indexes: tuple[int, ...] = (2, 5, 8, 11)
    window_size: int = 14
    image_size: int = 1024
    patch_size: int = 16
    # neck output = prompt-embedding width = mask-decoder width
    embed_dim: int = 256
    # prompt encoder
    mask_in_chans: int = 16
    # mask decoder
    decoder_depth: int = 2
    decoder_heads: int = 8
    decoder_ffn_dim: int = 2048
    attn_downsample_rate: int = 2  # cross-attention works at embed_dim / rate
    num_multimask_outputs: int = 3
    iou_head_depth: int = 3
    iou_head_hidden: int = 256
    norm_eps: float = 1e-6

    zero_ok = ("global_attn_indexes",)

    def check(self) -> None:
        f = self.family
        check_attention(f, self.d_model, self.num_heads)
        divides(f, "image_size", self.image_size, "patch_size", self.patch_size)
        for i in self.global_attn_indexes:
            require(i < self.num_layers, f, f"'global_attn_indexes' has {i}, but there are only {self.num_layers} layers (0–{self.num_layers - 1})")
        require(len(set(self.global_attn_indexes)) == len(self.global_attn_indexes), f, "'global_attn_indexes' repeats a layer")
        require(self.embed_dim % 2 == 0, f, f"'embed_dim' ({self.embed_dim}) must be even (sine and cosine halves)")
        check_attention(f, self.embed_dim, self.decoder_heads)
        divides(f, "embed_dim", self.embed_dim, "attn_downsample_rate", self.attn_downsample_rate)
        divides(f, "embed_dim / attn_downsample_rate", self.embed_dim // self.attn_downsample_rate, "decoder_heads", self.decoder_heads)
        divides(f, "mask_in_chans", self.mask_in_chans, "4", 4)
        divides(f, "embed_dim", self.embed_dim, "8", 8)  # the upscaler narrows to /4 then /8
        require(self.iou_head_depth >= 1, f, "'iou_head_depth' must be at least 1")

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)

    def image_step(self) -> int:
        return self.patch_size

    # -- closed-form parameter counts, one per part ----------------------------

    def image_encoder_params(self) -> int:
        d, g = self.d_model, self.grid
        embed = 3 * self.patch_size**2 * d + d + g * g * d  # patch conv (+bias), absolute positions
        block = 2 * _ln(d) + AttentionSpec(d, self.num_heads).num_params() + FeedForwardSpec(d, self.ffn_dim).num_params()
        # decomposed relative positions: one (2s-1, head_dim) table per axis, s = window or grid
        rel = sum(
            2 * (2 * (g if i in self.global_attn_indexes else self.window_size) - 1) * self.head_dim
            for i in range(self.num_layers)
        )
        c = self.embed_dim
        neck = d * c + 9 * c * c + 2 * _ln(c)  # 1×1 conv, 3×3 conv, no biases
        return embed + self.num_layers * block + rel + neck

    def prompt_encoder_params(self) -> int:
        c, m = self.embed_dim, self.mask_in_chans
        # 4 point kinds (negative, positive, box corners) + "not a point" + "no mask"
        embeddings = 6 * c
        # mask downscaling: 2×2/2 conv → LN → 2×2/2 conv → LN → 1×1 conv
        q = m // 4
        mask = (4 * q + q) + 2 * q + (4 * q * m + m) + 2 * m + (m * c + c)
        return embeddings + mask

    def shared_pe_params(self) -> int:
        return 2 * (self.embed_dim // 2)  # random Fourier features: a (2, C/2) Gaussian matrix

    def mask_decoder_params(self) -> int:
        c, inner = self.embed_dim, self.embed_dim // self.attn_downsample_rate
        cross = AttentionSpec(c, self.decoder_heads, head_dim=inner // self.decoder_heads, kv_dim=c).num_params()
        block = (AttentionSpec(c, self.decoder_heads).num_params() + 2 * cross
                 + FeedForwardSpec(c, self.decoder_ffn_dim).num_params() + 4 * _ln(c))
        transformer = self.decoder_depth * block + cross + _ln(c)
        n_masks = self.num_multimask_outputs + 1
        tokens = (1 + n_masks) * c  # IoU token + mask tokens
        upscale = (c * (c // 4) * 4 + c // 4) + _ln(c // 4) + (c // 4 * (c // 8) * 4 + c // 8)
        hyper = n_masks * mlp_head(c, c, c // 8, 3)
        iou = mlp_head(c, self.iou_head_hidden, n_masks, self.iou_head_depth)
        return transformer + tokens + upscale + hyper + iou

    def layout(self) -> Layout:
        return (
            Layout()
            .add("image_encoder", Counted(self.image_encoder_params()))
            .add("prompt_encoder", Counted(self.prompt_encoder_params()))
            .add("mask_decoder", Counted(self.mask_decoder_params()))
            .add("shared_pe", Counted(self.shared_pe_params()))
        )

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        size = shape.image_size or self.image_size
        g = grid_size(size, self.patch_size)
        prompt = parse_prompt(shape.prompt)
        x = ResolvedInput(batch=shape.batch or 1, image_size=size, prompt=shape.prompt,
                          lengths={"tokens": g * g, "one": 1}, tokens=g * g)
        x.lines = [f"tokens: {g * g} = {g}×{g} patches (image encoder); prompts: {prompt.describe()}"]
        return x

    def macs(self, x: ResolvedInput) -> Breakdown:
        return sam_macs(self, x)

    def saved(self, x: ResolvedInput) -> SavedTally:
        return sam_saved(self, x)


def sam_macs(c: "SamConfig", s: ResolvedInput) -> Breakdown:
    """Image encoder (B images) + prompt encoder and mask decoder (B prompts, one per image).

    Encoder, T = g²: patch conv T·3p²·d; a global layer 4Td² + 2T²d + rel-pos 2T·g·d; a
    windowed layer pads the grid to whole windows (T_w = nW·w² tokens) and costs 4T_w·d² +
    2T_w·w²·d + rel-pos 2T_w·w·d; each layer 2Td·mlp and 2 LayerNorms on T·d; neck T·d·C +
    9T·C² and 2 LayerNorms. Decoder, N_t = 1 IoU + masks + sparse tokens, cross(a, b) =
    2a·C·c_i + 2b·C·c_i + 2ab·c_i: depth × (4N_t·C² + 2N_t²·C + cross(N_t, T) + 2N_t·C·mlp +
    cross(T, N_t)) + cross(N_t, T); the upscaler's transposed convs, the hypernetworks, the
    IoU head and the (masks × C/8)·(C/8 × 16T) mask product."""
    t = Tally(s.batch)
    d, C, hd = c.d_model, c.embed_dim, c.head_dim
    g = grid_size(s.image_size, c.patch_size)
    T = g * g
    t.tokens = T
    t.linear("embeddings", T, 3 * c.patch_size**2, d)  # patch conv
    for i in range(c.num_layers):
        w = 0 if i in c.global_attn_indexes else c.window_size
        if w:
            windows = (-(-g // w)) ** 2  # the grid zero-padded to whole windows
            n_w = windows * w * w
            t.linear("attn_proj", n_w, d, 4 * d)  # QKV and output run on the padded tokens
            t.attention(c.num_heads, w * w, w * w, hd, batch=s.batch * windows, windowed=True)
            rel = 2 * s.batch * n_w * w * d  # q·R_h and q·R_w: w offsets per axis
            t.macs["attn_scores"] += rel
            t.windowed += rel
        else:
            t.linear("attn_proj", T, d, 4 * d)
            t.attention(c.num_heads, T, T, hd)
            t.macs["attn_scores"] += 2 * s.batch * T * g * d
        t.linear("feed_forward", T, d, 2 * c.ffn_dim)  # fc1 + fc2 (same MACs each)
        t.norm(T * d, times=2)
    t.linear("convolution", T, d, C)  # neck: 1×1 conv
    t.linear("convolution", T, 9 * C, C)  # 3×3 conv
    t.norm(T * C, times=2)

    # prompt encoder: Fourier features of each point (the image grid's are "embeddings")
    prompt = parse_prompt(s.prompt)
    points = prompt.points + (1 if prompt.points and not prompt.box else 0)  # + the padding point
    sparse = points + (2 if prompt.box else 0)  # a box is its two corners
    t.macs["embeddings"] += T * 2 * (C // 2)  # the image grid's positions: once, whatever the batch
    t.linear("other", sparse, 2, C // 2)
    if prompt.mask:  # 4g² mask pixels → 2×2/2 conv → LN → 2×2/2 conv → LN → 1×1 conv
        m = c.mask_in_chans
        t.linear("convolution", 4 * T, 4, m // 4)
        t.norm(4 * T * (m // 4))
        t.linear("convolution", T, 4 * (m // 4), m)
        t.norm(T * m)
        t.linear("convolution", T, m, C)

    # mask decoder: the two-way transformer
    masks = c.num_multimask_outputs + 1
    n_t = 1 + masks + sparse
    ci = C // c.attn_downsample_rate

    def cross(a: int, b: int) -> None:
        t.linear("attn_proj", a, C, 2 * ci)  # Q in, output back
        t.linear("attn_proj", b, C, 2 * ci)  # K, V
        t.attention(c.decoder_heads, a, b, ci // c.decoder_heads)

    for _ in range(c.decoder_depth):
        t.linear("attn_proj", n_t, C, 4 * C)
        t.attention(c.decoder_heads, n_t, n_t, C // c.decoder_heads)
        cross(n_t, T)
        t.linear("feed_forward", n_t, C, 2 * c.decoder_ffn_dim)
        cross(T, n_t)
        t.norm(n_t * C, times=3)
        t.norm(T * C)
    cross(n_t, T)
    t.norm(n_t * C)
    # upscaler: 2×2 stride-2 transposed convs, every input pixel feeds 4 outputs
    t.linear("convolution", T, C, 4 * (C // 4))
    t.norm(4 * T * (C // 4))
    t.linear("convolution", 4 * T, C // 4, 4 * (C // 8))
    hyper = [C, C, C, C // 8]
    iou = [C] + [c.iou_head_hidden] * (c.iou_head_depth - 1) + [masks]
    t.linear("heads", 1, sum(a * b for a, b in zip(hyper, hyper[1:])), 1, times=masks)
    t.linear("heads", 1, sum(a * b for a, b in zip(iou, iou[1:])), 1)
    t.linear("other", masks, C // 8, 16 * T)  # hypernetwork weights · upscaled pixels
    return t.result()



def from_hf(f) -> ArchConfig:
    f.architecture_is("SamModel")
    v, p, m = f.sub("vision_config"), f.sub("prompt_encoder_config"), f.sub("mask_decoder_config")
    for fields, field, value, why in [
        (v, "num_channels", 3, "tfcli's SAM reads RGB images"),
        (v, "qkv_bias", True, "tfcli's SAM encoder has q/k/v biases"),
        (v, "use_abs_pos", True, "tfcli's SAM encoder has absolute positions"),
        (v, "use_rel_pos", True, "tfcli's SAM encoder has relative-position tables"),
        (v, "hidden_act", "gelu", "tfcli's SAM encoder MLP is GELU"),
        (p, "num_point_embeddings", 4, "tfcli's prompt encoder has 4 point kinds"),
        (p, "hidden_act", "gelu", "tfcli's mask downscaler uses GELU"),
        (m, "hidden_act", "relu", "tfcli's two-way transformer MLP is ReLU"),
    ]:
        fields.expect(field, value, why)
    d = v.int("hidden_size", 768, to="d_model")
    channels = v.int("output_channels", 256, to="embed_dim")
    # one width runs through the neck, the prompt encoder and the mask decoder
    for fields, field in [(p, "hidden_size"), (m, "hidden_size"), (v, "num_pos_feats")]:
        want = channels // 2 if field == "num_pos_feats" else channels
        if fields.data.get(field, want) != want:
            raise fields.fail(field, f"({fields.data[field]}) must be {want} to match vision_config.output_channels ({channels})")
    mlp_dim = v.data.get("mlp_dim")
    config = SamConfig(
        d_model=d,
        num_layers=v.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=v.int("num_attention_heads", 12, to="num_heads"),
        ffn_dim=v.int("mlp_dim", to="ffn_dim") if mlp_dim is not None else int(d * v.float("mlp_ratio", 4.0)),
        global_attn_indexes=v.int_list("global_attn_indexes", (2, 5, 8, 11), to="global_attn_indexes"),
        window_size=v.int("window_size", 14, to="window_size"),
        image_size=v.square("image_size", 1024, to="image_size"),
        patch_size=v.square("patch_size", 16, to="patch_size"),
        embed_dim=channels,
        mask_in_chans=p.int("mask_input_channels", 16, to="mask_in_chans"),
        decoder_depth=m.int("num_hidden_layers", 2, to="decoder_depth"),
        decoder_heads=m.int("num_attention_heads", 8, to="decoder_heads"),
        decoder_ffn_dim=m.int("mlp_dim", 2048, to="decoder_ffn_dim"),
        attn_downsample_rate=m.int("attention_downsample_rate", 2, to="attn_downsample_rate"),
        num_multimask_outputs=m.int("num_multimask_outputs", 3, to="num_multimask_outputs"),
        iou_head_depth=m.int("iou_head_depth", 3, to="iou_head_depth"),
        iou_head_hidden=m.int("iou_head_hidden_dim", 256, to="iou_head_hidden"),
        norm_eps=v.float("layer_norm_eps", 1e-6),
    )
    for part in (v, p, m):  # tfcli's SAM field names are unique across the three parts
        f.names.update(part.names)
    return config


def _sam(d_model: int, num_layers: int, num_heads: int, global_attn_indexes: tuple[int, ...]):
    return lambda: SamConfig(
        d_model=d_model,
        num_layers=num_layers,
        num_heads=num_heads,
        ffn_dim=4 * d_model,
        global_attn_indexes=global_attn_indexes,
    )


_REF = "transformers SamModel ({})"

FAMILY = register(Family(
    "sam",
    SamConfig,
    builder="tfcli.models.sam:SamModel",
    kind="encoder + conditioned decoder",
    modality=Modality.IMAGE_PROMPTS,
    description="promptable segmentation: a windowed ViT encoder and a two-way prompt-conditioned mask decoder",
    presets=(
        Preset("sam-b", _sam(768, 12, 12, (2, 5, 8, 11)), params=93_735_728, macs=488_254_783_232,
               aliases=("sam", "facebook/sam-vit-base", "sam-vit-base", "sam_vit_b"),
               reference=_REF.format("facebook/sam-vit-base"), description="SAM ViT-B: 12 encoder blocks, 4 global"),
        Preset("sam-l", _sam(1024, 24, 16, (5, 11, 17, 23)), params=312_343_088, macs=1_495_685_414_656, slow=True,
               aliases=("facebook/sam-vit-large", "sam-vit-large", "sam_vit_l"),
               reference=_REF.format("facebook/sam-vit-large"), description="SAM ViT-L: 24 encoder blocks, 4 global"),
        Preset("sam-h", _sam(1280, 32, 16, (7, 15, 23, 31)), params=641_090_864, macs=2_984_057_765_632, slow=True,
               aliases=("facebook/sam-vit-huge", "sam-vit-huge", "sam_vit_h"),
               reference=_REF.format("facebook/sam-vit-huge"), description="SAM ViT-H: 32 encoder blocks, 4 global"),
    ),
    facts=FamilyFacts(
            "Segment Anything (SAM)",
            Text("promptable segmentation, supervised on SA-1B masks", "可提示分割，于 SA-1B 遮罩上监督训练"),
            Text("interactive and automatic segmentation from points, boxes, masks", "以点、框、遮罩为提示的交互式与自动分割"),
            Text(
                "input (image + prompts) → output (masks): a heavy ViT image encoder run once, a light "
                "prompt encoder, and a mask decoder that cross-attends between prompts and image",
                "输入（图像＋提示）→ 输出（分割遮罩）：重量级 ViT 图像 Encoder 只算一次，轻量 prompt encoder，以及在提示与图像间做 cross-attention 的 mask decoder",
            ),
        ),
    hf_mappers={"sam": from_hf},
))


def sam_saved(c: "SamConfig", x: ResolvedInput) -> SavedTally:
    """What one training forward keeps for backward (tfcli.spec.saved's convention).

    Encoder layer: the pre-norm block's norms, FFN and attention, which a relative-position
    bias with parameters sends to SDPA's math path (per window, tokens padded to whole
    windows); each axis's relative term keeps its int64 index (s²), the gathered table
    (s·hd·s) and a copy of Q (s: the window side, or the grid's for a global layer). Neck:
    the 1×1 conv's input, each LayerNorm2d's input and statistics, the 3×3 conv's input.
    Decoder, N tokens, T image tokens, C wide, cross-attention c_i wide: per layer the token
    self-attention (the first without positions, fused; later ones Q/K from tokens + positions
    and V from the tokens), token→image and image→token attention (image + positions made
    once a layer), the ReLU MLP, four norms; then the final attention and norm, the upscaler,
    the hypernetworks' and IoU head's ReLU outputs and the mask product's two inputs."""
    t = SavedTally(x.batch)
    d, C, hd = c.d_model, c.embed_dim, c.head_dim
    g = grid_size(x.image_size, c.patch_size)
    T = g * g
    PatchEmbed(c.patch_size, 3, d).add_saved(t, T)
    norm = NormSpec("layer", d)
    t.learned_bias = True
    for i in range(c.num_layers):
        w = 0 if i in c.global_attn_indexes else c.window_size
        side = w or g
        rows = (-(-g // w)) ** 2 * w * w if w else T  # padded to whole windows
        norm.add_saved(t, T, times=2)
        AttentionSpec(d, c.num_heads, window=w).add_saved(t, rows)
        t.add("attention", 2 * side * side, "index", per_sequence=False)
        t.add("attention", 2 * side * hd * side, per_sequence=False)
        t.add("attention", 2 * rows * d)
        FeedForwardSpec(d, c.ffn_dim).add_saved(t, T)
    t.learned_bias = False
    t.add("convolution", T * d + T * C)  # the neck's convs
    t.add("norms", 2 * T * C)
    t.add("norms", 4 * T, "stat")

    prompt = parse_prompt(x.prompt)
    points = prompt.points + (1 if prompt.points and not prompt.box else 0)
    sparse = points + (2 if prompt.box else 0)
    t.add("embeddings", T * (2 + C // 2), "fp32", per_sequence=False)  # the grid's coordinates and their Fourier phases
    t.add("embeddings", sparse * (2 + C // 2), "fp32")
    t.add("embeddings", 4 * points, "mask")
    if prompt.mask:
        t.unmodelled = True  # the mask prompt's downscaler: not matched to a measurement yet
    masks = c.num_multimask_outputs + 1
    n = 1 + masks + sparse
    ci, heads = C // c.attn_downsample_rate, c.decoder_heads
    layer_norm = NormSpec("layer", C)

    def cross(q_rows: int, kv_rows: int, q_input: bool, k_input: bool, v_input: bool) -> None:
        """Q, K and V projections' inputs (where not kept already), their outputs, the output and lse."""
        t.add("attention", (q_rows * q_input + kv_rows * (k_input + v_input)) * C)
        t.add("attention", (2 * q_rows + 2 * kv_rows) * ci)
        t.add("attention", q_rows * heads, "fp32")

    for i in range(c.decoder_depth):
        if i == 0:  # self-attention of the tokens alone: the fused projection's input, its output, out, lse
            t.add("attention", n * (C + 3 * C + C))
        else:  # Q, K from tokens + positions (V's input, the tokens, is kept by the last layer's
            # image→token V): that input, the Q/K output, V, out
            t.add("attention", n * (C + 2 * C + C + C))
        t.add("attention", n * heads, "fp32")
        layer_norm.add_saved(t, n)
        cross(n, T, True, True, i > 0)  # V reads the image stream: the input at layer 0 (kept below)
        layer_norm.add_saved(t, n)
        FeedForwardSpec(C, c.decoder_ffn_dim, "relu").add_saved(t, n)
        layer_norm.add_saved(t, n)
        cross(T, n, False, True, True)  # Q reads the image + positions made for token→image
        layer_norm.add_saved(t, T)
    t.add("attention", T * C)  # the image embedding the first layer's V reads
    cross(n, T, True, True, True)
    layer_norm.add_saved(t, n)
    # upscaler: LayerNorm2d's input and stats, GELU's inputs and outputs of the transposed convs
    t.add("convolution", 4 * T * (C // 4) * 3 + 16 * T * (C // 8) * 2)
    t.add("norms", 4 * T * 2, "stat")
    # the heads read the final tokens (a view of all N), keep their ReLU outputs; the mask product its two inputs
    t.add("heads", n * C + masks * 2 * C + c.iou_head_hidden * (c.iou_head_depth - 1) + masks * (C // 8))
    return t
