"""Whole pinyin words are read as what they name (knowledge_base/pinyin_words.yml)."""
from __future__ import annotations

import pytest

from knowledge_base.search import Searcher
from knowledge_base.text import rewrite_pinyin


@pytest.mark.parametrize("text, expected", [
    ("how do I get a Shenfenzheng", "how do I get a ID card"),    # English message: English words
    ("gongjijin withdrawal", "housing fund withdrawal"),
    ("the jiazhao and the huzhao", "the driving licence and the passport"),
    ("shebaoka lost", "social security card lost"),                # the longest word first
    ("我的shebao断了", "我的社保断了"),                              # Chinese message: Chinese words
])
def test_pinyin_words_become_what_they_name(text, expected):
    assert rewrite_pinyin(text) == expected


@pytest.mark.parametrize("text", ["shenfenzhengs", "xhuzhao", "lihunian", "a plain english question", "护照",
                                  "hukou and dibao"])  # (aliases of services already: not in the table)
def test_only_whole_pinyin_words_of_the_table_change(text):
    assert rewrite_pinyin(text) == text


def test_words_skipped_by_the_caller_are_kept():
    assert rewrite_pinyin("guohu and shebao", frozenset({"guohu"})) == "guohu and social insurance"


@pytest.mark.parametrize("query, expected", [
    ("what do I bring to get my son a shenfenzheng", {"id_card_application", "id_card_replacement"}),
    ("how do I withdraw my gongjijin when I retire", {"housing_fund_withdrawal"}),
    ("my huzhao expired", {"passport_renewal"}),
    ("公积金和gongjijin一样吗 想提取", {"housing_fund_withdrawal"}),
])
def test_search_finds_the_service_a_pinyin_word_names(searcher: Searcher, query, expected):
    hits = searcher.search(query)
    assert hits and hits[0].service_id in expected


def test_semantic_form_reads_pinyin_words_too():
    from bot.understanding.encoder import semantic_form

    assert semantic_form("where to do the guohu") == "where to do the property transfer"

