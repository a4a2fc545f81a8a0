"""The curated facts the module tree cannot say: pre-training objective, typical tasks and
why the design fits, per family, in English and Chinese (the study notes' language). No torch.

Everything structural (class, components, positions, attention kinds) is read from the
built model by tfcli.analysis.structure; only this table is typed by hand. Rows for
families that are not registered yet are skipped until their preset module exists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class FamilyFacts:
    title: str  # how people name the model
    objective: Text
    tasks: Text
    why: Text
    preset: str = ""  # the usual preset to build; "" = the family's first preset
    part_of: str = ""  # a part of a bigger system (shown after it)


FAMILY_FACTS: dict[str, FamilyFacts] = {
    "transformer": FamilyFacts(
        "Transformer (Vaswani et al. 2017)",
        Text("supervised translation (next target token given the source)", "監督式翻譯（給定原文預測下一個目標 token）"),
        Text("machine translation, sequence-to-sequence", "機器翻譯、序列到序列 (Seq2Seq)"),
        Text(
            "maps an input sequence to an output sequence: the encoder reads the whole source, "
            "the decoder generates the target token by token while cross-attending to it",
            "輸入→輸出映射：Encoder 先完整理解原文，Decoder 逐個 token 生成譯文，並透過 encoder-decoder attention 讀取 Encoder 的輸出",
        ),
    ),
    "bert": FamilyFacts(
        "BERT",
        Text("masked language modelling (MLM) + next-sentence prediction", "遮蔽語言模型 (MLM) + 下一句預測 (NSP)"),
        Text("classification, tagging, extractive QA, embeddings", "句子分類、序列標註、抽取式問答、語義表徵"),
        Text(
            "understanding, not generation: every token sees the whole sentence in both directions, "
            "so no decoder and no causal mask are needed",
            "重點是「理解」而非生成：每個 token 雙向看到整句，因此不需要 Decoder，也不需要因果遮罩",
        ),
    ),
    "gpt": FamilyFacts(
        "GPT-2 / GPT-3",
        Text("auto-regressive next-token prediction (causal LM)", "自回歸下一個 token 預測（因果語言模型）"),
        Text("text generation, completion, few-shot prompting, chat", "文本生成、續寫、少樣本提示、對話"),
        Text(
            "generation: each token is predicted from the ones before it, so a causally masked "
            "decoder is all it needs; there is no separate input to encode",
            "生成任務：每個 token 只根據前文預測，因此只需要帶因果遮罩的 Decoder；沒有另外需要編碼的輸入",
        ),
    ),
    "t5": FamilyFacts(
        "T5",
        Text("span corruption (text-to-text denoising)", "片段遮蔽還原（span corruption，text-to-text 去噪）"),
        Text("translation, summarisation, QA, any task phrased as text-to-text", "翻譯、摘要、問答，以及所有可寫成 text-to-text 的任務"),
        Text(
            "every task is input text → output text, which is exactly what an encoder-decoder maps; "
            "relative position biases let it take any length",
            "所有任務都寫成「輸入文字→輸出文字」，正是 Encoder-Decoder 的映射；相對位置偏置讓它能處理任意長度",
        ),
    ),
    "bart": FamilyFacts(
        "BART",
        Text("denoising autoencoder (text infilling, sentence permutation)", "去噪自編碼（文本填空、句子重排）"),
        Text("summarisation, generation from a document, translation", "摘要、根據文件生成、翻譯"),
        Text(
            "a BERT-like bidirectional encoder to understand the corrupted input plus a GPT-like "
            "decoder to regenerate it: understanding and generation in one model",
            "類似 BERT 的雙向 Encoder 理解被破壞的輸入，加上類似 GPT 的 Decoder 重新生成：理解與生成兼具",
        ),
    ),
    "llama": FamilyFacts(
        "Llama (and Mistral)",
        Text("auto-regressive next-token prediction (causal LM)", "自回歸下一個 token 預測（因果語言模型）"),
        Text("chat, instruction following, code, general generation", "對話、指令遵循、程式碼、通用生成"),
        Text(
            "decoder-only like GPT, with RoPE (no position table), RMSNorm, SwiGLU and grouped "
            "key/value heads that shrink the KV cache for long generation",
            "與 GPT 相同的 Decoder-only，改用 RoPE（無位置表）、RMSNorm、SwiGLU，以及分組 key/value heads (GQA) 以縮小長序列生成時的 KV cache",
        ),
    ),
    "vit": FamilyFacts(
        "Vision Transformer (ViT)",
        Text("supervised image classification (ImageNet-21k / JFT)", "監督式影像分類（ImageNet-21k / JFT）"),
        Text("image classification, backbone features", "影像分類、作為骨幹網路抽取特徵"),
        Text(
            "image patches become tokens and an encoder extracts a global representation "
            "through the CLS token: understanding, so no decoder",
            "把圖片切成 patch 當作 token，Encoder 透過 CLS token 提取全局特徵：屬於理解任務，不需要 Decoder",
        ),
    ),
    "dinov2": FamilyFacts(
        "DINOv2",
        Text("self-supervised self-distillation (DINO + iBOT masked-patch loss)", "自監督自蒸餾（DINO + iBOT 遮蔽 patch 損失）"),
        Text("general-purpose image features: retrieval, segmentation, depth", "通用影像特徵：檢索、分割、深度估計"),
        Text(
            "representation learning with no labels and nothing to generate: a ViT encoder "
            "(with LayerScale and register tokens) is all it needs",
            "無標註的表徵學習，沒有生成任務：只需要 ViT Encoder（加上 LayerScale 與 register tokens）",
        ),
    ),
    "clip": FamilyFacts(
        "CLIP",
        Text("contrastive image-text matching (InfoNCE over a batch)", "影像-文字對比學習（批次內 InfoNCE）"),
        Text("zero-shot classification, image-text retrieval, text encoder for diffusion", "零樣本分類、圖文檢索、作為擴散模型的文字編碼器"),
        Text(
            "two encoders (ViT for images, Transformer for text) project into one embedding "
            "space and meet only at the similarity logits; nothing is generated, so no decoder",
            "兩個 Encoder（影像用 ViT、文字用 Transformer）投影到同一語義空間，只在相似度 logits 相遇；不生成任何東西，所以不需要 Decoder",
        ),
    ),
    "clip-text": FamilyFacts(
        "CLIP text encoder",
        Text("contrastive image-text matching (trained with the image tower)", "影像-文字對比學習（與影像塔一起訓練）"),
        Text("text embeddings; the text condition of Stable Diffusion", "文字表徵；Stable Diffusion 的文字條件"),
        Text(
            "causally masked but used as an encoder: the state at the end-of-text token is the "
            "sentence embedding",
            "使用因果遮罩但當作 Encoder：取 end-of-text token 的輸出作為句子表徵",
        ),
        part_of="clip",
    ),
    "sam": FamilyFacts(
        "Segment Anything (SAM)",
        Text("promptable segmentation, supervised on SA-1B masks", "可提示分割，於 SA-1B 遮罩上監督訓練"),
        Text("interactive and automatic segmentation from points, boxes, masks", "以點、框、遮罩為提示的互動式與自動分割"),
        Text(
            "input (image + prompts) → output (masks): a heavy ViT image encoder run once, a light "
            "prompt encoder, and a mask decoder that cross-attends between prompts and image",
            "輸入（影像＋提示）→ 輸出（分割遮罩）：重量級 ViT 影像 Encoder 只算一次，輕量 prompt encoder，以及在提示與影像間做 cross-attention 的 mask decoder",
        ),
    ),
    "sd": FamilyFacts(
        "Stable Diffusion",
        Text("denoising diffusion in a VAE latent space (predict the added noise)", "在 VAE 潛在空間中做去噪擴散（預測加入的噪聲）"),
        Text("text-to-image generation, image editing, inpainting", "文字生成影像、影像編輯、修補"),
        Text(
            "generation conditioned on text: a CLIP text encoder, a U-Net denoiser whose "
            "transformer blocks cross-attend to the text, and a VAE between pixels and latents",
            "以文字為條件的生成：CLIP 文字編碼器、在 transformer 區塊中對文字做 cross-attention 的 U-Net 去噪器，以及連接像素與潛在空間的 VAE",
        ),
    ),
    "sd-unet": FamilyFacts(
        "Stable Diffusion U-Net",
        Text("noise prediction (denoising score matching)", "噪聲預測（去噪分數匹配）"),
        Text("the denoiser inside Stable Diffusion", "Stable Diffusion 內的去噪器"),
        Text(
            "convolutional levels keep the image layout; attention blocks mix positions and "
            "cross-attend to the text",
            "卷積層級保留影像空間結構；attention 區塊混合各位置資訊並對文字做 cross-attention",
        ),
        part_of="sd",
    ),
    "sd-vae": FamilyFacts(
        "Stable Diffusion VAE",
        Text("reconstruction + KL + perceptual/adversarial losses", "重建 + KL + 感知/對抗損失"),
        Text("pixels ↔ latents (8× smaller) for the diffusion model", "像素 ↔ 潛在表示（縮小 8 倍）供擴散模型使用"),
        Text(
            "a convolutional autoencoder compresses the image so diffusion runs on 64×64 latents "
            "instead of 512×512 pixels",
            "卷積自編碼器壓縮影像，讓擴散在 64×64 潛在空間而非 512×512 像素上進行",
        ),
        part_of="sd",
    ),
}


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
    "feed-forward": "前饋網路 (Feed forward)",
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
