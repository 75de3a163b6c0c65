"""Regional wording and pinyin initials are read as standard written Chinese, at the same length
(knowledge_base/regional_rewrites.yml through knowledge_base/text.py)."""
from __future__ import annotations

import pytest

from knowledge_base.text import normalize, normalize_aligned


@pytest.mark.parametrize("text, expected", [
    ("sfz丢了咋整", "身份证丢了咋整"),
    ("新車啱啱買咗，喺內地上牌要幾多錢", "新车刚刚买了,在内地上牌要多少钱"),     # Cantonese
    ("仲可唔可以換證", "还可不可以换证"),
    ("佢哋幾點開門", "他们几点开门"),
    ("我有香港車牌", "我有香港驾照"),                   # a Hong Kong 車牌 is a driving licence
    ("GJJ能取出来吗", "公积金能取出来吗"),
    ("jzz到期了", "居住证到期了"),
    ("办yyzz要多久", "办营业执照要多久"),
    ("補辦幾多日有得攞", "补办多少天有得拿"),
    ("手續係點", "手续是啥"),
    ("去邊間辦", "去哪间办"),
    ("身份证找不着了", "身份证找不到了"),       # colloquial loss wording
    ("护照弄丢了", "护照丢失了"),
])
def test_regional_wording_and_pinyin_initials_become_standard_chinese(text, expected):
    assert normalize(text) == expected
    assert len(normalize_aligned(text)) == len(text)


@pytest.mark.parametrize("text", ["sfzx是什么", "my gjjx账号", "有点做不到", "一点也没有",
                                  "去哪个网点申请", "在哪个网点办", "好久不见了", "申请劳动仲裁", "新车上牌"])
def test_letters_inside_a_word_and_mandarin_uses_are_left_alone(text):
    assert normalize(text) == text.lower()
