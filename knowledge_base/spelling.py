"""Corrects homophone typos in service words before search.

Chinese is typed with pinyin input methods, so a wrong character usually sounds like the right
one (结昏登记 for 结婚登记, 公基金 for 公积金). Known service words — names, aliases and their
parts — are indexed by toneless pinyin; a run of characters in a message that sounds like a
known word but is written differently is replaced by it. Pinyin typed in Latin letters
(``juzhuzheng``) is recognised too.
"""
from __future__ import annotations

from typing import Iterable

from knowledge_base.text import is_han

MIN_LATIN_PINYIN = 6  # shorter Latin words are too likely to be ordinary English


def _pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


class HomophoneCorrector:
    """Replaces sound-alike misspellings of known Chinese service words."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_sound: dict[tuple[str, ...], str] = {}
        for word in sorted({w for w in words if len(w) >= 2 and all(is_han(c) for c in w)}, key=len, reverse=True):
            self._by_sound.setdefault(_pinyin(word), word)
        self._lengths = sorted({len(k) for k in self._by_sound}, reverse=True)
        self._latin = {"".join(k): w for k, w in self._by_sound.items() if len("".join(k)) >= MIN_LATIN_PINYIN}

    @classmethod
    def for_services(cls, services: Iterable) -> "HomophoneCorrector":
        """A corrector for the Chinese names and aliases of ``services`` (dicts or records) and
        the dictionary words inside them."""
        from knowledge_base.text import sub_words

        words: list[str] = []
        for s in services:
            name, aliases = (s["name"], s["aliases"]) if isinstance(s, dict) else (s.name, s.aliases)
            zh_name = name["zh"] if isinstance(name, dict) else name.zh
            zh_aliases = aliases.get("zh", []) if isinstance(aliases, dict) else aliases.zh
            words += [str(zh_name), *map(str, zh_aliases)]
        return cls(words + [part for w in words for part in sub_words(w)])

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
        sounds = _pinyin(run)
        if len(sounds) != len(run):  # defensive: one syllable per character expected
            return run
        out, i = [], 0
        while i < len(run):
            for n in self._lengths:
                if i + n <= len(run) and (word := self._by_sound.get(sounds[i:i + n])):
                    out.append(word)
                    i += n
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)
