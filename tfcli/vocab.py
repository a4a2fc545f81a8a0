"""The vocabulary the families table prints, and the systems whose architecture is not public.
No torch. Per-family facts live in each family's record (tfcli/presets/<family>.py).

Chinese is written once, in Simplified (the study notes' script): `--lang zh`. `--lang zh-Hant`
prints each text's Traditional form from tfcli/zh_hant.py, a table made at build time
(tools/make_zh_hant.py), so no converter is needed at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfcli.registry import Text


@dataclass(frozen=True)
class SystemFacts:
    """A system whose architecture is not public: its published class and a buildable stand-in."""

    title: str
    published_class: str
    stand_in: str  # preset built to show the class
    source: Text
    objective: Text
    tasks: Text
    why: Text


UNPUBLISHED: list[SystemFacts] = [
    SystemFacts(
        "ChatGPT (GPT-3.5 / GPT-4 / 4o / 5)",
        "decoder-only",
        "gpt3-175b",
        Text(
            "OpenAI publishes no architecture after GPT-3; the GPT line is decoder-only",
            "OpenAI 在 GPT-3 之后未公开架构；GPT 系列为 Decoder-only",
        ),
        Text("next-token prediction, then instruction tuning and RLHF", "下一个 token 预测，之后做指令微调与 RLHF"),
        Text("chat, writing, code, reasoning", "对话、写作、代码、推理"),
        Text(
            "generation one token at a time from the context → a decoder is enough",
            "语言模型是典型的自回归生成，每次根据前文生成下一个 token → 不需要 Encoder",
        ),
    ),
    SystemFacts(
        "Gemini (Google DeepMind)",
        "decoder-only (multimodal inputs)",
        "gpt3-175b",
        Text(
            "the Gemini report describes Transformer decoders taking interleaved text, image, "
            "audio and video; details are not public",
            "Gemini 技术报告描述为接收文字、图像、音频、视频交错输入的 Transformer Decoder；细节未公开（笔记称之为混合式架构）",
        ),
        Text("next-token prediction over multimodal sequences, then tuning", "多模态序列上的下一个 token 预测，之后微调"),
        Text("multimodal chat, understanding of images/audio/video", "多模态对话，理解图像/语音/视频"),
        Text(
            "media inputs need encoding into tokens, but the answer is still generated "
            "auto-regressively by a decoder",
            "图像/语音输入需要先编码成 token，但最终回应仍由 Decoder 自回归生成",
        ),
    ),
]

LANGS = ("en", "zh", "zh-Hant")  # English; Chinese in Simplified (the notes'), in Traditional


def in_script(simplified: str, lang: str) -> str:
    """A Simplified text as `lang` writes it: itself for zh, its Traditional form for zh-Hant."""
    if lang == "zh-Hant":
        from tfcli.zh_hant import to_hant

        return to_hant(simplified)
    return simplified


def say(text: Text, lang: str) -> str:
    """A curated sentence in `lang` (Text keeps English and Simplified; zh-Hant is made here)."""
    return text.en if lang == "en" else in_script(text.zh, lang)


def label(key: str, lang: str) -> str:
    """A heading of the families table in `lang`."""
    return key if lang == "en" else in_script(LABELS_ZH.get(key, key), lang)


def class_name(kind: str, lang: str) -> str:
    return kind if lang == "en" else in_script(CLASS_ZH.get(kind, kind), lang)


def component_names(items: list[str], lang: str) -> list[str]:
    """Components as the notes' table writes them; a detail in brackets is kept as it is
    ("positional encoding (learned absolute)" → "位置编码 (learned absolute)")."""
    if lang == "en":
        return items
    out = []
    for item in items:
        if item in COMPONENT_ZH:
            out.append(in_script(COMPONENT_ZH[item], lang))
            continue
        base, _, detail = item.partition(" (")
        out.append(in_script(COMPONENT_ZH.get(base, base), lang) + (f" ({detail}" if detail else ""))
    return out


def zh_texts() -> list[str]:
    """Every Chinese text the families table can print, in Simplified: the vocabulary here and
    each family's curated facts (what tfcli/zh_hant.py must cover)."""
    from tfcli.catalog import families

    texts = [*CLASS_ZH.values(), *COMPONENT_ZH.values(), *LABELS_ZH.values()]
    for s in UNPUBLISHED:
        texts += [s.source.zh, s.objective.zh, s.tasks.zh, s.why.zh]
    for fam in families().values():
        if fam.facts:
            texts += [fam.facts.objective.zh, fam.facts.tasks.zh, fam.facts.why.zh]
    return list(dict.fromkeys(texts))


# how the notes name the classes (for --lang zh)
CLASS_ZH = {
    "encoder-only": "仅 Encoder (Encoder-only)",
    "decoder-only": "仅 Decoder (Decoder-only)",
    "encoder-decoder": "Encoder-Decoder",
    "audio encoder-decoder": "音频 Encoder-Decoder（卷积前端 + Encoder-Decoder）",
    "dual-encoder": "双 Encoder（双分支 Encoder-only）",
    "causal-encoder": "因果遮罩 Encoder",
    "encoder + conditioned decoder": "Encoder + 条件 Decoder（Encoder-Decoder）",
    "conv-denoiser": "卷积 U-Net 去噪器（含 cross-attention）",
    "conv-autoencoder": "卷积自编码器",
    "decoder-only (multimodal inputs)": "仅 Decoder（多模态输入）",
}

# component names, as the notes' table writes them
COMPONENT_ZH = {
    "token embedding": "输入嵌入 (Input embedding)",
    "patch embedding": "Patch 嵌入 (Patch embedding)",
    "CLS token": "CLS token",
    "register tokens": "Register tokens",
    "positional encoding": "位置编码",
    "multi-head attention": "多头注意力 (Multi-head attention)",
    "masked multi-head attention": "遮蔽多头注意力 (Masked attention)",
    "encoder-decoder attention": "Encoder-decoder attention (cross-attention)",
    "windowed attention": "窗口注意力 (Windowed attention)",
    "attention pooling": "注意力池化 (Attention pooling)",
    "distillation token": "蒸馏 token (Distillation token)",
    "patch merging": "Patch 合并 (Patch merging)",
    "feed-forward": "前馈网络 (Feed forward)",
    "mixture of experts": "混合专家 (Mixture of experts)",
    "latent attention (compressed KV)": "潜在注意力，压缩 KV (Multi-head latent attention)",
    "convolution": "卷积 (Convolution)",
    "LM head": "语言模型输出层 (LM head)",
    "pooler": "Pooler",
    "classifier": "分类头 (Linear classifier)",
}

LABELS_ZH = {
    "Transformer families: encoder-only, decoder-only, encoder-decoder":
        "Transformer 三大类架构：Encoder-only、Decoder-only、Encoder-Decoder",
    "model": "模型",
    "class": "架构类型",
    "components": "组成",
    "objective": "预训练目标",
    "tasks": "典型任务",
    "why": "为何这样设计",
    "built from": "构建自",
    "not public": "架构未公开",
    "stand-in": "替代模型",
}
