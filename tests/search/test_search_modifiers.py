"""A modifier that is part of aliases ("first passport", "first grade") names no service alone."""
from __future__ import annotations


def test_a_modifier_alone_names_no_service(searcher):
    hits = searcher.search("can i apply online first")
    assert all(h.score < 0.5 for h in hits)


def test_a_modifier_still_helps_the_alias_it_belongs_to(searcher):
    assert searcher.search("my first passport")[0].id == "passport_application"
