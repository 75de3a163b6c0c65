"""Sound-alike typos of service words are corrected before search."""
import pytest

from knowledge_base.spelling import HomophoneCorrector

WORDS = ["结婚登记", "公积金", "住宿登记", "居住证", "护照", "残疾证"]


@pytest.mark.parametrize("typed,corrected", [
    ("结昏登记要带什么", "结婚登记要带什么"),
    ("公基金提取多久到账", "公积金提取多久到账"),
    ("也要做住宿登计吗", "也要做住宿登记吗"),
    ("居驻证在哪里办理", "居住证在哪里办理"),
    ("办护找在哪", "办护照在哪"),
    ("juzhuzheng", "居住证"),
])
def test_homophone_typos_are_corrected(typed, corrected):
    assert HomophoneCorrector(WORDS).correct(typed) == corrected


@pytest.mark.parametrize("text", ["今天天气怎么样", "我想办护照", "how do I get a residence permit", "", "😀" * 10])
def test_other_text_is_left_alone(text):
    assert HomophoneCorrector(WORDS).correct(text) == text


SOUND_ALIKES = WORDS + ["登记", "等级", "城市", "出国", "补发", "协议", "年级"]


@pytest.mark.parametrize("text", [
    "婚姻登记处在哪",  # 登记 is itself a known word: not replaced by its homophone 等级
    "流程是什么",  # 程是 ~ 城市 would cut through the word 流程
    "还没出过国",  # 出过 is an ordinary word, not a slip for 出国
    "老板不发工资",  # a negation is no typo of 补
    "帮我写一首诗",  # 写一 → 协议 would change every character
    "年纪大了还能办吗",  # 年纪 is an ordinary word, not 年级
])
def test_ordinary_words_that_sound_alike_are_kept(text):
    assert HomophoneCorrector(SOUND_ALIKES).correct(text) == text


@pytest.mark.parametrize("typed,corrected", [
    ("婚姻登计处在哪", "婚姻登记处在哪"),  # of 登记/等级, the one sharing a character
    ("补发护找", "补发护照"),
])
def test_typos_still_corrected_among_homophones(typed, corrected):
    assert HomophoneCorrector(SOUND_ALIKES).correct(typed) == corrected


def test_english_words_of_the_content_are_not_read_as_pinyin():
    services = [{"name": {"zh": "往来台湾通行证", "en": "Mainland Travel Permit for Taiwan"},
                 "aliases": {"zh": ["台湾通行证", "台湾"], "en": ["Taiwan pass"]}}]
    corrector = HomophoneCorrector.for_services(services)
    assert corrector.correct("taiwan pass") == "taiwan pass"
    assert HomophoneCorrector(["台湾"]).correct("taiwan") == "台湾"
