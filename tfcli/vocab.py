"""The vocabulary the families table prints, and the systems whose architecture is not public.
No torch. Per-family facts live in each family's record (tfcli/presets/<family>.py)."""

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
            "OpenAI 在 GPT-3 之後未公開架構；GPT 系列為 Decoder-only",
        ),
        Text("next-token prediction, then instruction tuning and RLHF", "下一個 token 預測，之後做指令微調與 RLHF"),
        Text("chat, writing, code, reasoning", "對話、寫作、程式碼、推理"),
        Text(
            "generation one token at a time from the context → a decoder is enough",
            "語言模型是典型的自回歸生成，每次根據前文生成下一個 token → 不需要 Encoder",
        ),
    ),
    SystemFacts(
        "Gemini (Google DeepMind)",
        "decoder-only (multimodal inputs)",
        "gpt3-175b",
        Text(
            "the Gemini report describes Transformer decoders taking interleaved text, image, "
            "audio and video; details are not public",
            "Gemini 技術報告描述為接收文字、影像、音訊、影片交錯輸入的 Transformer Decoder；細節未公開（筆記稱之為混合式架構）",
        ),
        Text("next-token prediction over multimodal sequences, then tuning", "多模態序列上的下一個 token 預測，之後微調"),
        Text("multimodal chat, understanding of images/audio/video", "多模態對話，理解影像/語音/影片"),
        Text(
            "media inputs need encoding into tokens, but the answer is still generated "
            "auto-regressively by a decoder",
            "影像/語音輸入需要先編碼成 token，但最終回應仍由 Decoder 自回歸生成",
        ),
    ),
]

# how the notes name the classes (for --lang zh)
CLASS_ZH = {
    "encoder-only": "僅 Encoder (Encoder-only)",
    "decoder-only": "僅 Decoder (Decoder-only)",
    "encoder-decoder": "Encoder-Decoder",
    "audio encoder-decoder": "音訊 Encoder-Decoder（卷積前端 + Encoder-Decoder）",
    "dual-encoder": "雙 Encoder（雙分支 Encoder-only）",
    "causal-encoder": "因果遮罩 Encoder",
    "encoder + conditioned decoder": "Encoder + 條件 Decoder（Encoder-Decoder）",
    "conv-denoiser": "卷積 U-Net 去噪器（含 cross-attention）",
    "conv-autoencoder": "卷積自編碼器",
    "decoder-only (multimodal inputs)": "僅 Decoder（多模態輸入）",
}

# component names, as the notes' table writes them
COMPONENT_ZH = {
    "token embedding": "輸入嵌入 (Input embedding)",
    "patch embedding": "Patch 嵌入 (Patch embedding)",
    "CLS token": "CLS token",
    "register tokens": "Register tokens",
    "positional encoding": "位置編碼",
    "multi-head attention": "多頭注意力 (Multi-head attention)",
    "masked multi-head attention": "遮蔽多頭注意力 (Masked attention)",
    "encoder-decoder attention": "Encoder-decoder attention (cross-attention)",
    "windowed attention": "窗口注意力 (Windowed attention)",
    "attention pooling": "注意力池化 (Attention pooling)",
    "distillation token": "蒸餾 token (Distillation token)",
    "patch merging": "Patch 合併 (Patch merging)",
    "feed-forward": "前饋網路 (Feed forward)",
    "mixture of experts": "混合專家 (Mixture of experts)",
    "latent attention (compressed KV)": "潛在注意力，壓縮 KV (Multi-head latent attention)",
    "convolution": "卷積 (Convolution)",
    "LM head": "語言模型輸出層 (LM head)",
    "pooler": "Pooler",
    "classifier": "分類頭 (Linear classifier)",
}

LABELS_ZH = {
    "model": "模型",
    "class": "架構類型",
    "components": "組成",
    "objective": "預訓練目標",
    "tasks": "典型任務",
    "why": "為何這樣設計",
    "built from": "建構自",
    "not public": "架構未公開",
    "stand-in": "替代模型",
}
