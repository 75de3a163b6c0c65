"""Text handling for Telegram: cleaning, length in Telegram's units, splitting long replies.

Replies are sent as plain text (no ``parse_mode``), so no character has a special meaning and
nothing needs escaping: ``<b>``, ``*bold*`` or ``&amp;`` arrive exactly as written.  What Telegram
does reject is text longer than 4096 characters (counted in UTF-16 code units), empty text and
strings that are not valid Unicode (lone surrogates); :func:`clean_text` and :func:`split_text`
take care of those.
"""
from __future__ import annotations

import re

MAX_MESSAGE_UNITS = 4096  # Telegram's limit for sendMessage text, in UTF-16 code units
MAX_INPUT_CHARS = 4096  # incoming text longer than this (never sent by Telegram) is cut

# C0/C1 control characters except tab and newline; NUL and friends only cause trouble downstream.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def utf16_len(text: str) -> int:
    """Length of ``text`` as Telegram counts it (UTF-16 code units: an emoji outside the BMP is 2)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def clean_text(text: str | None, limit: int | None = None) -> str:
    """``text`` as valid Unicode without control characters; ``\\r\\n`` becomes ``\\n``.

    Lone surrogates (possible in JSON, never valid Unicode) become U+FFFD.  With ``limit``, the
    result is cut to at most that many characters.
    """
    if not text:
        return ""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def _cut_index(text: str, limit: int) -> int:
    """Largest index i such that ``utf16_len(text[:i]) <= limit``."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` UTF-16 units each.

    Cuts at the last line break that fits (a blank line is preferred when it keeps the chunk at
    least half full), else at the last space, else anywhere (never inside a character).  The
    separator at a cut is dropped; chunks that would be blank are left out.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text
    while rest:
        if utf16_len(rest) <= limit:
            chunks.append(rest)
            break
        hard = _cut_index(rest, limit)
        window = rest[:hard]
        cut, skip = -1, 0
        para = window.rfind("\n\n")
        if para >= hard // 2:
            cut, skip = para, 2
        else:
            line = window.rfind("\n")
            if line > 0:
                cut, skip = line, 1
            else:
                space = max(window.rfind(" "), window.rfind("\u3000"))
                if space > 0:
                    cut, skip = space, 1
        if cut <= 0:
            cut, skip = hard, 0
        chunks.append(rest[:cut])
        rest = rest[cut + skip:]
    return [c for c in chunks if c.strip()]


def display_width(text: str) -> int:
    """Rough width on screen: East Asian wide/full-width characters and emoji count 2."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
