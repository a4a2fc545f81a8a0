"""--lang: English, the study notes' Chinese in Simplified (zh) and in Traditional (zh-Hant)."""

import pytest


def test_every_chinese_text_has_its_traditional_form():
    from tfcli.vocab import zh_texts
    from tfcli.zh_hant import HANT

    texts = set(zh_texts())
    missing = sorted(texts - set(HANT))
    assert not missing, f"no Traditional form for {missing[:3]}...; run python3 tools/make_zh_hant.py"
    assert not set(HANT) - texts, "tfcli/zh_hant.py has texts no longer used; run python3 tools/make_zh_hant.py"


def test_simplified_is_the_written_form():
    """The texts are written in Simplified: a few characters that differ between the scripts."""
    from tfcli.vocab import zh_texts

    joined = "".join(zh_texts())
    assert not set("語預類編網個與層頭") & set(joined)
    assert set("语预类编网个与层头") <= set(joined)


@pytest.fixture(scope="module")
def tables():
    from tfcli.analysis.families import families_table

    return {lang: families_table(lang) for lang in ("en", "zh", "zh-Hant")}


def test_zh_hant_prints_only_traditional(tables):
    from tfcli.zh_hant import HANT

    simplified_only = set("".join(HANT)) - set("".join(HANT.values()))  # 语, 类, 编, ...
    assert {"语", "类", "编"} <= simplified_only
    for row in tables["zh-Hant"].rows:
        text = " ".join([row.kind, row.objective, row.tasks, row.why, row.note, *row.components])
        assert not simplified_only & set(text), (row.title, sorted(simplified_only & set(text)))
    bert = next(r for r in tables["zh-Hant"].rows if r.family == "bert")
    assert bert.kind == "僅 Encoder (Encoder-only)" and "位置編碼 (learned absolute)" in bert.components


def test_same_rows_in_every_language(tables):
    en, zh, hant = (tables[k].rows for k in ("en", "zh", "zh-Hant"))
    assert [r.preset for r in en] == [r.preset for r in zh] == [r.preset for r in hant]
    bert = next(r for r in zh if r.family == "bert")
    assert bert.kind == "仅 Encoder (Encoder-only)" and "位置编码 (learned absolute)" in bert.components


@pytest.mark.parametrize("given, lang", [("zh-Hans", "zh"), ("zh-TW", "zh-Hant"), ("zh-hant", "zh-Hant")])
def test_lang_aliases(run_cli, given, lang):
    import json

    code, out, err = run_cli("families", "--lang", given, "--json")
    assert code == 0, err
    assert json.loads(out)["lang"] == lang
