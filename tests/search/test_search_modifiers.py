"""A modifier that is part of aliases ("first passport", "first grade") names no service alone."""
from __future__ import annotations


def test_a_modifier_alone_names_no_service(searcher):
    hits = searcher.search("can i apply online first")
    assert all(h.score < 0.5 for h in hits)


def test_a_modifier_still_helps_the_alias_it_belongs_to(searcher):
    assert searcher.search("my first passport")[0].id == "passport_application"


def test_a_home_put_into_someone_elses_name_is_a_transfer():
    from knowledge_base.search import _prepare

    assert "过户" in _prepare("他名下有套房，要过到我妈名下")
    assert "注册公司" in _prepare("能不能注册个公司")          # measure word dropped
    assert _prepare("上个月") == "上个月"                      # (not after a verb of applying)
