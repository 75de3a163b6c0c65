"""A service named only as the citizen's condition gives way to the service asked about."""
from __future__ import annotations

import pytest

from bot.components.understanding import _not_a_condition


@pytest.mark.parametrize("text,ranking,expected", [
    ("外地户口的孩子能在这边上公立初中不",
     (("newborn_hukou_registration", 0.62), ("school_enrollment", 0.55)), "school_enrollment"),
    ("外地户口能以灵活就业身份在江州交社保吗",
     (("hukou_transfer", 0.7), ("social_insurance_enrollment", 0.6)), "social_insurance_enrollment"),
    ("we don't have local hukou, can our son enrol in a public primary school",
     (("hukou_transfer", 0.6), ("school_enrollment", 0.58)), "school_enrollment"),
])
def test_the_request_wins_over_the_condition(text, ranking, expected):
    assert _not_a_condition(text, ranking[0][0], ranking[0][1], ranking)[0] == expected


@pytest.mark.parametrize("text,ranking", [
    ("我们是外地户口，想把户口迁过来", (("hukou_transfer", 0.8), ("school_enrollment", 0.4))),  # asks to move it
    ("外地户口怎么办", (("hukou_transfer", 0.6),)),                                          # nothing else found
    ("户口迁移要带什么", (("hukou_transfer", 0.9), ("school_enrollment", 0.3))),             # no condition
    ("外地户口的孩子能上学吗", (("hukou_transfer", 0.6), ("school_enrollment", 0.1))),       # the other too faint
])
def test_the_mention_stands_otherwise(text, ranking):
    assert _not_a_condition(text, ranking[0][0], ranking[0][1], ranking)[0] == ranking[0][0]


def test_a_faint_other_service_does_not_replace_the_condition():
    """"we dont have local hukou, is that ok": nothing else is named (a stray passport hit far
    below is no request); the conversation's service is kept by the actions instead."""
    ranking = (("hukou_transfer", 0.75), ("passport_application", 0.3))
    assert _not_a_condition("we dont have local hukou, is that ok", "hukou_transfer", 0.75, ranking)[0] == "hukou_transfer"
