"""The widget's interface texts live in channels/web/static/widget-texts.json, not in widget.js:
every text the code asks for is there in both languages, and the code has no Chinese text left."""
from __future__ import annotations

import json
import re

from channels.web.server import STATIC

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


def texts() -> dict:
    return json.loads((STATIC / "widget-texts.json").read_text(encoding="utf-8"))


def code() -> str:
    """widget.js without its comments (a URL in a string has no "//" followed by text here)."""
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    return COMMENTS.sub("", source.replace("://", ":\u2044\u2044"))


def test_both_languages_have_the_same_texts_of_the_same_kind():
    data = texts()
    zh, en = data["zh"], data["en"]
    assert zh.keys() == en.keys()
    for key in zh:
        assert type(zh[key]) is type(en[key]), key
        assert zh[key] and en[key], key
    assert CJK.search(zh["title"]) and not CJK.search(en["title"])
    assert len(zh["starters"]) == len(en["starters"]) == 4


def words(expression: str) -> set[str]:
    """The quoted words of a JS expression that are not the right side of a comparison."""
    return set(re.findall(r"(?<![=!]== )\"(\w+)\"", expression))


def keys_asked_for(source: str) -> set[str]:
    """The text keys in ``t(...)`` calls, in the ``key`` of notes, in the ``who`` of a message and
    in the ``data-state`` attributes that ``applyStrings`` translates."""
    keys: set[str] = set()
    for call in re.finditer(r"\bt\(", source):
        depth, end = 1, call.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(source[end], 0)
            end += 1
        keys |= words(source[call.end():end - 1])
    for expression in re.findall(r"\bkey: ([^,}]+)|var who = ([^;]+);", source):
        keys |= words(" ".join(expression))
    keys |= set(re.findall(r"\"data-state\": \"(\w+)\"", source))
    return keys


def test_every_text_the_widget_asks_for_is_in_the_file():
    asked = keys_asked_for(code())
    assert {"title", "retryNow", "tooLong", "error", "pending", "failed", "reconnected", "staffSaid"} <= asked
    missing = {lang: sorted(asked - texts()[lang].keys()) for lang in ("zh", "en")}
    assert missing == {"zh": [], "en": []}
    assert sorted(texts()["zh"].keys() - asked) == []  # and no text in the file is left unused


def test_the_code_has_no_chinese_text():
    assert CJK.findall(code()) == []
