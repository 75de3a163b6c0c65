"""Unit tests of the Telegram text helpers: splitting under 4096 units, cleaning, plain-text safety."""
from __future__ import annotations

import pytest

from channels.telegram_support.text import (
    MAX_MESSAGE_UNITS,
    clean_text,
    display_width,
    split_text,
    utf16_len,
)


def test_short_text_is_one_chunk():
    assert split_text("护照怎么办理？") == ["护照怎么办理？"]
    assert split_text("") == []
    assert split_text("  \n\n ") == []


def test_utf16_len_counts_astral_characters_twice():
    assert utf16_len("abc") == 3
    assert utf16_len("护照") == 2
    assert utf16_len("👍") == 2
    assert utf16_len("𠀀") == 2  # CJK Extension B


def test_long_reply_is_split_on_line_boundaries():
    lines = [f"{i:04d} 第{i}项材料：居民身份证原件及复印件 / ID card and a copy" for i in range(400)]
    text = "\n".join(lines)
    assert utf16_len(text) > 3 * MAX_MESSAGE_UNITS
    chunks = split_text(text)
    assert len(chunks) >= 4
    assert all(utf16_len(c) <= MAX_MESSAGE_UNITS for c in chunks)
    # every chunk is made of whole lines, and nothing is lost or reordered
    for chunk in chunks:
        assert all(line in lines for line in chunk.split("\n"))
    assert "\n".join(chunks) == text


def test_paragraph_break_preferred_when_chunk_stays_reasonably_full():
    para = "甲" * 3000
    text = para + "\n\n" + "乙" * 500 + "\n" + "丙" * 2000
    chunks = split_text(text)
    assert chunks[0] == para
    assert all(utf16_len(c) <= MAX_MESSAGE_UNITS for c in chunks)


def test_text_without_line_breaks_is_split_at_spaces():
    words = ["passport"] * 1500
    text = " ".join(words)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(utf16_len(c) <= MAX_MESSAGE_UNITS for c in chunks)
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in chunks)
    assert " ".join(chunks) == text


def test_unbroken_text_is_cut_hard_but_never_inside_a_character():
    text = "😀" * 5000  # 10000 UTF-16 units, no spaces, no newlines
    chunks = split_text(text)
    assert "".join(chunks) == text
    assert all(utf16_len(c) <= MAX_MESSAGE_UNITS for c in chunks)
    assert [utf16_len(c) for c in chunks] == [4096, 4096, 1808]
    cjk = "护" * 9000
    assert "".join(split_text(cjk)) == cjk


@pytest.mark.parametrize("limit", [2, 3, 10, 64])
def test_split_respects_any_limit(limit):
    text = "a👍 b\nc护照 ddd\n\n" * 50
    chunks = split_text(text, limit)
    assert all(utf16_len(c) <= limit for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_split_rejects_silly_limit():
    with pytest.raises(ValueError):
        split_text("abc", 1)


def test_clean_text_makes_any_input_valid_unicode():
    lone = "护照\ud800办理\udfff"
    cleaned = clean_text(lone)
    cleaned.encode("utf-8")  # does not raise
    assert cleaned == "护照\ufffd办理\ufffd"
    assert clean_text("a\x00b\x07c\r\nd\re\tf") == "ab" + "c\nd\ne\tf"
    assert clean_text(None) == ""
    assert clean_text("x" * 10_000, limit=4096) == "x" * 4096
    rtl_and_zalgo = "مرحبا Z̷͎̓a̸̛ͅl̶g̵o 👨‍👩‍👧 𠀀"
    assert clean_text(rtl_and_zalgo) == rtl_and_zalgo


def test_plain_text_needs_no_escaping():
    """Replies go out with no parse_mode: markup characters are kept verbatim, never escaped."""
    text = "<b>费用</b> & <a href='x'>链接</a> *bold* _it_ [x](y) `code` 1 < 2 > 0 &amp;"
    assert clean_text(text) == text
    assert split_text(text) == [text]


def test_display_width_counts_cjk_double():
    assert display_width("Fees") == 4
    assert display_width("收费") == 4
    assert display_width("👍 有帮助") == 2 + 1 + 6
