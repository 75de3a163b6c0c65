"""Bilingual text processing shared by the knowledge-base search and the Rasa tokenizer.

Chinese runs are cut with a private jieba tokenizer (with a user dictionary of service names),
Latin runs with spaCy's blank English tokenizer and lookup lemmatizer. Token offsets always point
into the original text: normalisation (NFKC, Traditional → Simplified, lower case) is done on a
length-preserving "aligned" copy.

Nothing heavy happens at import: jieba, spaCy and OpenCC are created on first use.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "LanguageGuess",
    "Token",
    "add_words",
    "detect_language",
    "dictionary_boundaries",
    "dictionary_freq",
    "is_han",
    "normalize",
    "normalize_aligned",
    "rewrite_regional",
    "sub_words",
    "to_simplified",
    "to_traditional",
    "tokenize",
]

_LOCK = threading.RLock()
_CONVERTERS: dict[str, object] = {}
_JIEBA = None
_PENDING_WORDS: set[str] = set()
_ADDED_WORDS: set[str] = set()
_NLP = None

_WS_RE = re.compile(r"\s+")
# OpenCC s2t slips in administrative vocabulary ("换发" is a reissue, not hair).
_S2T_FIXES = {"換髮": "換發"}
_S2T_FIX_RE = re.compile("換髮(?!型)")
# spaCy splits these as apostrophe-less contractions ("id" → "i" "d"); here they are words.
_KEEP_WHOLE = frozenset({"id", "wed", "hed", "shed", "ill", "well", "were", "its", "hell", "shell"})
_LATIN_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    """A token: ``text`` is ``original[start:end]``; ``lemma`` is its normalised form."""

    text: str
    start: int
    end: int
    lemma: str


@dataclass(frozen=True)
class LanguageGuess:
    """Language of a message's sentence frame."""

    lang: str  # "zh" | "en"
    traditional: bool = False
    confident: bool = True


# ---------------------------------------------------------------- character classes


def is_han(ch: str) -> bool:
    """True for a CJK ideograph (Han character)."""
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x2EBEF
        or 0x30000 <= cp <= 0x3134F
        or cp == 0x3007
    )


# ---------------------------------------------------------------- OpenCC


def _converter(config: str):
    conv = _CONVERTERS.get(config)
    if conv is None:
        with _LOCK:
            conv = _CONVERTERS.get(config)
            if conv is None:
                import opencc

                conv = opencc.OpenCC(config)
                _CONVERTERS[config] = conv
    return conv


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC ``t2s``)."""
    return _converter("t2s").convert(text) if text else text


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (OpenCC ``s2tw``, Taiwan-standard characters, with fixes for
    service vocabulary)."""
    return _S2T_FIX_RE.sub(lambda m: _S2T_FIXES[m.group(0)], _converter("s2tw").convert(text)) if text else text


def _t2s_aligned(text: str) -> str:
    """t2s conversion of the same length as ``text`` (per character where phrases change length)."""
    if not any(is_han(c) for c in text):
        return text
    conv = _converter("t2s")
    out = conv.convert(text)
    if len(out) == len(text):
        return out
    chars = []
    for c in text:
        s = conv.convert(c) if is_han(c) else c
        chars.append(s if len(s) == 1 else c)
    return "".join(chars)


# ---------------------------------------------------------------- normalisation


def _nfkc_lower_char(c: str) -> str:
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        return c
    low = n.lower()
    return low if len(low) == 1 else n


_REGIONAL_FILE = __import__("pathlib").Path(__file__).with_name("regional_rewrites.yml")


def _regional_rewrites() -> tuple[re.Pattern | None, dict[str, str]]:
    """The equal-length rewrites of regional_rewrites.yml (loaded once) as one pattern."""
    global _REGIONAL
    if _REGIONAL is None:
        import yaml

        table: dict[str, str] = {}
        for section in (yaml.safe_load(_REGIONAL_FILE.read_text(encoding="utf-8")) or {}).values():
            for key, value in (section or {}).items():
                key, value = str(key), str(value)
                if len(key) != len(value):
                    raise ValueError(f"regional rewrite {key!r} -> {value!r} changes the length")
                table[key] = value
        keys = sorted(table, key=len, reverse=True)  # longest first
        pattern = re.compile("|".join(map(_rewrite_alternative, keys))) if table else None
        _REGIONAL = (pattern, table)
    return _REGIONAL


_REGIONAL: tuple[re.Pattern | None, dict[str, str]] | None = None


def _rewrite_alternative(key: str) -> str:
    """A Latin key (pinyin initials) matches as a word of its own, in any case."""
    if key.isascii():
        return f"(?<![A-Za-z])(?i:{re.escape(key)})(?![A-Za-z])"
    return re.escape(key)


def rewrite_regional(text: str) -> str:
    """Regional (Cantonese) wording and pinyin initials in Simplified ``text`` as standard written
    Chinese, same length."""
    if not text or text.isascii():
        return text
    pattern, table = _regional_rewrites()
    return pattern.sub(lambda m: table[m.group(0).lower()], text) if pattern is not None else text


_PINYIN_FILE = Path(__file__).with_name("pinyin_words.yml")


@lru_cache(maxsize=2)
def pinyin_words(encoder: bool = False) -> dict[str, tuple[str, str]]:
    """Whole pinyin words → (Chinese, English) (pinyin_words.yml ``words``; with ``encoder``, also
    ``encoder_words``: the pinyin of the knowledge base's aliases), loaded once."""
    import yaml

    data = yaml.safe_load(_PINYIN_FILE.read_text(encoding="utf-8")) or {}
    sections = ("words", "encoder_words") if encoder else ("words",)
    return {str(k).lower(): (str(v[0]), str(v[1]))
            for section in sections for k, v in (data.get(section) or {}).items()}


@lru_cache(maxsize=8)
def _pinyin_pattern(skip: frozenset, encoder: bool = False) -> re.Pattern | None:
    keys = sorted((k for k in pinyin_words(encoder) if k not in skip), key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z])(?i:" + "|".join(map(re.escape, keys)) + r")(?![A-Za-z])") if keys else None


def rewrite_pinyin(text: str, skip: frozenset = frozenset(), encoder: bool = False) -> str:
    """``text`` with whole pinyin words ("shenfenzheng", "guohu") replaced by what they name: in
    Chinese when ``text`` has Chinese characters, in English otherwise; words in ``skip`` stay
    (``encoder``: the aliases' pinyin too, for the sentence encoder). The length changes (not for
    offsets into the citizen's text)."""
    if not text or not any("a" <= c.lower() <= "z" for c in text):
        return text
    pattern = _pinyin_pattern(frozenset(skip), encoder)
    if pattern is None:
        return text
    column = 0 if any(is_han(c) for c in text) else 1
    words = pinyin_words(encoder)
    return pattern.sub(lambda m: words[m.group(0).lower()][column], text)


def normalize_aligned(text: str) -> str:
    """NFKC + Traditional → Simplified + regional rewrites + lower case, same length as ``text``
    (offsets stay valid)."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    return rewrite_regional(_t2s_aligned("".join(_nfkc_lower_char(c) for c in text)))


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), Traditional → Simplified, regional rewrites, lower case,
    collapsed whitespace."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = rewrite_regional(to_simplified(text)).lower()
    return _WS_RE.sub(" ", text).strip()


# ---------------------------------------------------------------- jieba / spaCy


def _jieba():
    global _JIEBA
    if _JIEBA is None:
        with _LOCK:
            if _JIEBA is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in sorted(_PENDING_WORDS):
                    tk.add_word(word)
                _PENDING_WORDS.clear()
                _JIEBA = tk
    return _JIEBA


def _nlp():
    global _NLP
    if _NLP is None:
        with _LOCK:
            if _NLP is None:
                import spacy

                nlp = spacy.blank("en")
                rules = nlp.tokenizer.rules
                nlp.tokenizer.rules = {k: v for k, v in rules.items() if k.lower() not in _KEEP_WHOLE}
                nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
                nlp.initialize()
                nlp.max_length = 10_000_000
                _NLP = nlp
    return _NLP


def add_words(words: Iterable[str]) -> int:
    """Add words (e.g. service names and aliases) to the jieba user dictionary.

    Words are normalised; only their Han runs of two or more characters are added.
    Returns the number of new entries.
    """
    new: set[str] = set()
    for word in words:
        for run in _han_runs(normalize(word or "")):
            if len(run) >= 2 and run not in _ADDED_WORDS:
                new.add(run)
    if not new:
        return 0
    with _LOCK:
        new -= _ADDED_WORDS
        _ADDED_WORDS.update(new)
        if _JIEBA is None:
            _PENDING_WORDS.update(new)
        else:
            for word in sorted(new):
                _JIEBA.add_word(word)
    return len(new)


def sub_words(word: str) -> list[str]:
    """Dictionary words of two or more characters strictly inside ``word`` (like jieba's search mode)."""
    if len(word) < 3:
        return []
    freq = _jieba().FREQ
    return [
        word[i:i + n]
        for n in range(2, len(word))
        for i in range(len(word) - n + 1)
        if freq.get(word[i:i + n])
    ]


def _han_runs(text: str) -> list[str]:
    runs, cur = [], []
    for c in text:
        if is_han(c):
            cur.append(c)
        elif cur:
            runs.append("".join(cur))
            cur = []
    if cur:
        runs.append("".join(cur))
    return runs


# ---------------------------------------------------------------- tokenisation


def _runs(aligned: str) -> list[tuple[bool, int, int]]:
    """Split into (is_han, start, end) runs."""
    runs: list[tuple[bool, int, int]] = []
    start = 0
    for i in range(1, len(aligned) + 1):
        if i == len(aligned) or is_han(aligned[i]) != is_han(aligned[start]):
            runs.append((is_han(aligned[start]), start, i))
            start = i
    return runs


def _cut_han(original: str, aligned: str, start: int, end: int) -> list[Token]:
    segment = aligned[start:end]
    pieces = list(_jieba().tokenize(segment))
    if not pieces or pieces[-1][2] != len(segment) or "".join(p[0] for p in pieces) != segment:
        pieces = [(c, i, i + 1) for i, c in enumerate(segment)]
    return [
        Token(original[start + s:start + e], start + s, start + e, word)
        for word, s, e in pieces
    ]


def _cut_latin(original: str, aligned: str, start: int, end: int) -> list[Token]:
    segment = aligned[start:end]
    if not any(c.isalnum() for c in segment):
        return []
    tokens = []
    for tok in _nlp()(segment):
        if not any(c.isalnum() for c in tok.text):
            continue
        s = start + tok.idx
        e = s + len(tok.text)
        lemma = (tok.lemma_ or tok.text).lower()
        tokens.append(Token(original[s:e], s, e, lemma))
    return tokens


def tokenize(text: str) -> list[Token]:
    """Tokenise bilingual text; offsets refer to ``text``; punctuation and symbols are dropped."""
    if not text:
        return []
    aligned = normalize_aligned(text)
    tokens: list[Token] = []
    for han, start, end in _runs(aligned):
        if han:
            tokens.extend(_cut_han(text, aligned, start, end))
        else:
            tokens.extend(_cut_latin(text, aligned, start, end))
    return tokens


# ---------------------------------------------------------------- language detection


def _words(text: str) -> frozenset[str]:
    """A word set from whitespace-separated text."""
    return frozenset(text.split())


# A message that opens in Chinese ("我想 听 …", "请帮我 …"): its first run of Han characters.
_LEADING_HAN_RE = re.compile(r"^[^A-Za-z\u3400-\u9fff\uf900-\ufaff]*([\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff\s]*)")
# Function words that reveal the sentence frame of a mixed message.
_ZH_FRAME_CHARS = frozenset("我你您的了吗呢吧啊么什怎哪是在要想能可请问有没不和去帮把给这那个过还也都就该得用将到为让被从对向跟呀嘛几")
_EN_FRAME_WORDS = _words(
    """
    i i'm me my we our you your he she it it's its they the a an is are am was were be do does did
    can could would should will shall may might must how what where when which who why whom to for
    of in on at with from about and or but if please need want have has had this that there here any
    some get go
    """
)


def _traditional_score(text: str) -> tuple[int, int]:
    """(chars changed by t2s, chars changed by s2t) — evidence for Traditional vs Simplified."""
    han = "".join(c for c in text if is_han(c))
    if not han:
        return 0, 0
    t2s, s2t = to_simplified(han), _converter("s2t").convert(han)
    trad = _diff_count(han, t2s)
    simp = _diff_count(han, s2t)
    return trad, simp


def _diff_count(a: str, b: str) -> int:
    if len(a) == len(b):
        return sum(1 for x, y in zip(a, b) if x != y)
    return sum(1 for c in a if c not in b)


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of the message's sentence frame.

    Pure Chinese → zh, pure Latin → en, nothing lexical (emoji, digits) → en, not confident.
    Mixed text goes by function words ("我想办 passport" → zh, "how do I get a 居住证" → en;
    Chinese function words around English titles make a Chinese frame);
    without any, a substantial Han share decides (≥ 2 Han characters or ≥ 25 %).
    """
    text = unicodedata.normalize("NFKC", text or "")
    han_chars = [c for c in text if is_han(c)]
    latin_words = [w.lower() for w in _LATIN_WORD_RE.findall(text)]
    han, lat = len(han_chars), len(latin_words)
    if han == 0:
        return LanguageGuess("en", False, confident=lat > 0)
    trad, simp = _traditional_score(text)
    traditional = trad >= 1 and trad > simp
    if lat == 0:
        return LanguageGuess("zh", traditional, True)
    zh_frame = sum(1 for c in han_chars if c in _ZH_FRAME_CHARS)
    en_frame = sum(1 for w in latin_words if w in _EN_FRAME_WORDS)
    lead = _LEADING_HAN_RE.match(text)
    if lead and sum(1 for c in lead.group(1) if c in _ZH_FRAME_CHARS) >= 2:  # "我想听 the Music of …"
        return LanguageGuess("zh", traditional, True)
    if zh_frame and han * 2 >= lat:  # Chinese grammar around English names/titles: a Chinese frame
        return LanguageGuess("zh", traditional, zh_frame >= 2)
    if zh_frame != en_frame:
        lang = "zh" if zh_frame > en_frame else "en"
        return LanguageGuess(lang, traditional, abs(zh_frame - en_frame) >= 2)
    substantial = han >= 2 or han / (han + lat) >= 0.25
    return LanguageGuess("zh" if substantial else "en", traditional, False)


# ---------------------------------------------------------------- dictionary look-ups (spelling)


def dictionary_freq(word: str) -> int:
    """jieba's frequency of ``word`` (Simplified) — 0 when it is not a dictionary word."""
    return int(_jieba().FREQ.get(word) or 0)


def dictionary_boundaries(text: str, split_whole: bool = False) -> set[int]:
    """Offsets between the words of ``text`` (a Simplified Han run) cut by the dictionary alone
    (no HMM guesses for unknown words, so a typo does not glue itself to its neighbour).
    With ``split_whole``, ``text`` itself does not count as one word (the parts of an alias)."""
    tk = _jieba()
    dag = tk.get_DAG(text)
    if split_whole and len(text) > 1:
        dag[0] = [e for e in dag[0] if e != len(text) - 1] or [0]
    route: dict = {}
    tk.calc(text, dag, route)
    bounds, x = {0, len(text)}, 0
    while x < len(text):
        x = route[x][1] + 1
        bounds.add(x)
    return bounds
