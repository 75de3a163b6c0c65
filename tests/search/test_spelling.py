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
