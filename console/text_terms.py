"""Content words of a citizen message (Chinese, Simplified or Traditional, and English).

Pure and dependency-light: OpenCC, jieba and the stop-word list are loaded on first use.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
import yaml

__all__ = ["normalize", "stopwords", "terms", "to_simplified"]

TERMS_PATH = Path(__file__).with_name("terms.yml")

_CJK_WORD_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[a-z]{3,}")
_NON_WORD_RE = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _converter():
    """The Traditional → Simplified converter (created once, on first use)."""
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _jieba_ready() -> bool:
    jieba.setLogLevel(60)
    return True


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    """Stop words per language ("zh", "en") from ``terms.yml``."""
    data = yaml.safe_load(TERMS_PATH.read_text(encoding="utf-8")) or {}
    words = data.get("stopwords") or {}
    return {lang: frozenset(str(w).lower() for w in words.get(lang) or ()) for lang in ("zh", "en")}


def to_simplified(text: str) -> str:
    """NFKC-normalised ``text`` with Traditional characters converted to Simplified."""
    text = unicodedata.normalize("NFKC", text)
    return _converter().convert(text) if _CJK_RUN_RE.search(text) else text


def normalize(text: str) -> str:
    """Comparison form of a message: Simplified, lower case, without spaces or punctuation."""
    return _NON_WORD_RE.sub("", to_simplified(text).lower())


def _singular(word: str) -> str:
    """Crude plural strip: "passports" → "passport", "fees" → "fee"; "address" stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _zh_terms(text: str, stop: frozenset[str]) -> set[str]:
    if not _CJK_RUN_RE.search(text):
        return set()
    _jieba_ready()
    return {tok for tok in jieba.lcut(text) if _CJK_WORD_RE.fullmatch(tok) and tok not in stop}


def _en_terms(text: str, stop: frozenset[str]) -> set[str]:
    words = (_singular(w) for w in _LATIN_WORD_RE.findall(text.lower()) if w not in stop)
    return {w for w in words if w not in stop}


@lru_cache(maxsize=8192)
def terms(text: str) -> frozenset[str]:
    """The content words of ``text``: CJK words of two or more characters, English words of three
    or more letters (singular), without stop words or numbers."""
    stop = stopwords()
    simple = to_simplified(text)
    return frozenset(_zh_terms(simple, stop["zh"]) | _en_terms(simple, stop["en"]))
