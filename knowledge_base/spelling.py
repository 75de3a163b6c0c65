"""Corrects homophone typos in service words before search.

Chinese is typed with pinyin input methods, so a wrong character usually sounds like the right
one (结昏登记 for 结婚登记, 公基金 for 公积金). Known service words — names, aliases and their
parts — are indexed by toneless pinyin; a run of characters in a message that sounds like a
known word but is written differently is replaced by it. Pinyin typed in Latin letters
(``juzhuzheng``) is recognised too.

Ordinary words that merely sound like a service word are left alone. A span is corrected only if

* it is not itself a known word, nor a word of the general dictionary (年纪 is not 年级, 打通 is
  not 大通), and does not contain the negation 不 (不发 is not 补发);
* it does not cut through a dictionary word of the message (流程是 does not hold 城市, 上户口 does
  not hold 商户);
* it differs from the known word in few characters — a typo is one slip, not a new word (写一 is
  not 协议);
* the sound points to one word, or to one word sharing the most characters with the span (登计 →
  登记 rather than 等级).
"""
from __future__ import annotations

import re
from typing import Iterable

from knowledge_base.text import dictionary_boundaries, dictionary_freq, is_han, normalize_aligned

MIN_LATIN_PINYIN = 6  # shorter Latin words are too likely to be ordinary English
COMMON_WORD_FREQ = 10  # dictionary words at least this frequent are words, not typos
_NEGATION = frozenset("不")
_LATIN_WORD_RE = re.compile(r"[a-z]+")


def _pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


def _parts(word: str, subs: list[str]) -> list[str]:
    """Dictionary words inside ``word`` that do not straddle its own words ("国内" but not "领国"
    in "换领国内驾驶证")."""
    simple = normalize_aligned(word)
    bounds = dictionary_boundaries(simple, split_whole=True)
    out = []
    for sub in subs:
        start = simple.find(normalize_aligned(sub))
        while start >= 0:
            if start in bounds and start + len(sub) in bounds:
                out.append(sub)
                break
            start = simple.find(normalize_aligned(sub), start + 1)
    return out


def _max_changes(n: int) -> int:
    """Characters a typo may change in a word of ``n`` characters."""
    return max(1, (n - 1) // 2)


class HomophoneCorrector:
    """Replaces sound-alike misspellings of known Chinese service words."""

    def __init__(self, words: Iterable[str], english: Iterable[str] = ()) -> None:
        """``words``: known Chinese words; ``english``: Latin words never read as pinyin
        (e.g. "taiwan", which the service names use as English)."""
        self._known = {w for w in words if len(w) >= 2 and all(is_han(c) for c in w)}
        self._by_sound: dict[tuple[str, ...], list[str]] = {}
        for word in sorted(self._known):
            self._by_sound.setdefault(_pinyin(word), []).append(word)
        self._lengths = sorted({len(k) for k in self._by_sound}, reverse=True)
        keep = {w.lower() for w in english}
        self._latin = {
            "".join(k): ws[0]
            for k, ws in self._by_sound.items()
            if len(ws) == 1 and len("".join(k)) >= MIN_LATIN_PINYIN and "".join(k) not in keep
        }

    @classmethod
    def for_services(cls, services: Iterable) -> "HomophoneCorrector":
        """A corrector for the Chinese names and aliases of ``services`` (dicts or records) and
        the dictionary words inside them."""
        from knowledge_base.text import sub_words

        words: list[str] = []
        english: set[str] = set()
        for s in services:
            name, aliases = (s["name"], s["aliases"]) if isinstance(s, dict) else (s.name, s.aliases)
            zh_name = name["zh"] if isinstance(name, dict) else name.zh
            zh_aliases = aliases.get("zh", []) if isinstance(aliases, dict) else aliases.zh
            en_name = name.get("en", "") if isinstance(name, dict) else name.en
            en_aliases = aliases.get("en", []) if isinstance(aliases, dict) else aliases.en
            words += [str(zh_name), *map(str, zh_aliases)]
            for text in [str(en_name or ""), *map(str, en_aliases or [])]:
                english.update(_LATIN_WORD_RE.findall(text.lower()))
        parts = [part for w in words for part in _parts(w, sub_words(w))]
        return cls(words + parts, english)

    def correct(self, text: str) -> str:
        """``text`` with sound-alike misspellings of known words replaced."""
        if not text or not self._by_sound:
            return text
        out, i = [], 0
        while i < len(text):
            if is_han(text[i]):
                j = i
                while j < len(text) and is_han(text[j]):
                    j += 1
                out.append(self._correct_run(text[i:j]))
                i = j
            elif text[i].isascii() and text[i].isalpha():
                j = i
                while j < len(text) and text[j].isascii() and text[j].isalpha():
                    j += 1
                word = text[i:j]
                out.append(self._latin.get(word.lower(), word))
                i = j
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    def _correct_run(self, run: str) -> str:
        simple = normalize_aligned(run)
        sounds = _pinyin(simple)
        if len(sounds) != len(run) or len(simple) != len(run):  # one syllable per character expected
            return run
        bounds: set[int] | None = None
        out, i = [], 0
        while i < len(run):
            for n in self._lengths:
                if i + n > len(run):
                    continue
                span = simple[i:i + n]
                if span in self._known:
                    out.append(run[i:i + n])  # already a known word: keep it (登记 is not 等级)
                    i += n
                    break
                candidates = self._by_sound.get(sounds[i:i + n])
                if not candidates:
                    continue
                if bounds is None:
                    bounds = dictionary_boundaries(simple)
                word = self._replacement(span, candidates, i in bounds and i + n in bounds)
                if word:
                    out.append(word)
                    i += n
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    @staticmethod
    def _replacement(span: str, candidates: list[str], aligned: bool) -> str | None:
        """The known word a misspelt ``span`` stands for, or None if it is no typo."""
        if not aligned or _NEGATION & set(span) or dictionary_freq(span) >= COMMON_WORD_FREQ:
            return None
        scored = sorted((sum(a != b for a, b in zip(span, w)), w) for w in candidates)
        changes, word = scored[0]
        if changes > _max_changes(len(span)) or (len(scored) > 1 and scored[1][0] == changes):
            return None
        return word
