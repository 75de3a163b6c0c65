"""knowledge_base.text: normalisation, tokenisation with offsets, language detection."""
from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from knowledge_base import text

REPO = Path(__file__).resolve().parents[2]


def _check_offsets(source: str, tokens) -> None:
    for tok in tokens:
        assert source[tok.start:tok.end] == tok.text
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in pairwise(tokens))


def test_import_has_no_side_effects():
    code = (
        "import sys, knowledge_base.text, knowledge_base.search, knowledge_base.hours;"
        "heavy = [m for m in ('jieba', 'spacy', 'opencc') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_normalize():
    assert text.normalize("  ＡＢＣ　１２３  護照  換發 ") == "abc 123 护照 换发"
    assert text.normalize("") == ""


def test_normalize_aligned_keeps_length():
    source = "ＡＢＣ護照㈱ﬁ Ünïcödé"
    aligned = text.normalize_aligned(source)
    assert len(aligned) == len(source)
    assert aligned.startswith("abc护照")


def test_conversions():
    assert text.to_simplified("護照補發") == "护照补发"
    assert text.to_traditional("护照") == "護照"


def test_tokenize_simplified():
    source = "我想办理护照需要什么材料"
    tokens = text.tokenize(source)
    _check_offsets(source, tokens)
    assert "护照" in [t.lemma for t in tokens]


def test_tokenize_traditional_offsets_and_lemmas():
    source = "請問護照遺失了怎麼補辦？"
    tokens = text.tokenize(source)
    _check_offsets(source, tokens)
    by_text = {t.text: t.lemma for t in tokens}
    assert by_text["護照"] == "护照"
    assert "？" not in by_text


def test_tokenize_mixed_runs():
    source = "我想办 passport，renewing it 😀 today"
    tokens = text.tokenize(source)
    _check_offsets(source, tokens)
    lemmas = [t.lemma for t in tokens]
    assert "passport" in lemmas and "renew" in lemmas
    assert "我" in lemmas
    assert all("😀" not in t.text for t in tokens)


def test_tokenize_english_lemmas_lowercase():
    tokens = text.tokenize("Renewing Passports, ID cards!")
    assert [t.lemma for t in tokens] == ["renew", "passport", "id", "card"]
    assert tokens[0].text == "Renewing"


def test_tokenize_fullwidth_and_digits():
    source = "ＩＤ卡１２３４５号"
    tokens = text.tokenize(source)
    _check_offsets(source, tokens)
    assert tokens[0].lemma == "id" and tokens[0].text == "ＩＤ"


@pytest.mark.parametrize("source", ["", "   ", "😀😀", "！？。，", "\n\t"])
def test_tokenize_nothing_lexical(source):
    assert text.tokenize(source) == []


def test_tokenize_very_long_text():
    source = ("我想办理护照 renew my passport 😀，" * 4000)[:100_000]
    tokens = text.tokenize(source)
    assert len(source) == 100_000
    assert len(tokens) > 10_000
    assert all(source[t.start:t.end] == t.text for t in tokens[:2000])


def test_add_words_keeps_names_whole():
    word = "江州市民卡补换"
    text.add_words([word, "江州市民卡補換"])
    assert [t.lemma for t in text.tokenize(f"我想{word}")][-1] == word
    assert [t.lemma for t in text.tokenize("江州市民卡補換")] == [word]


def test_sub_words():
    assert "护照" in text.sub_words("护照过期")
    assert text.sub_words("护照") == []


@pytest.mark.parametrize(
    "source, lang, traditional",
    [
        ("我想办 passport", "zh", False),
        ("我的 ID card 丢了", "zh", False),
        ("請問護照遺失了怎麼補辦", "zh", True),
        ("我想办护照", "zh", False),
        ("How do I renew my passport?", "en", False),
        ("how do I apply for a 居住证", "en", False),
        ("passport 护照", "zh", False),
    ],
)
def test_detect_language(source, lang, traditional):
    guess = text.detect_language(source)
    assert (guess.lang, guess.traditional) == (lang, traditional)


@pytest.mark.parametrize("source", ["", "😀👍", "12345", "  "])
def test_detect_language_without_words_is_unconfident_english(source):
    guess = text.detect_language(source)
    assert guess.lang == "en" and not guess.confident


def test_detect_language_simplified_with_shared_chars_is_not_traditional():
    assert not text.detect_language("著名的乾隆皇帝").traditional
