"""Personal data never reaches disk unmasked (issue 13): a real Rasa + action server; a citizen
writes an ID number, mobile numbers (one full-width) and an e-mail address in questions, in a
request for a person and in a 👎 comment; then the action server is stopped and one more such
message is sent (a forced failure). Every database file and every log is then searched for the
raw values."""
from __future__ import annotations

import sqlite3

import pytest

from tests.stack import BotStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ID_NUMBER = "110101199003074514"
MOBILE = "13812345678"
FULL_WIDTH_MOBILE = "１３９８７６５４３２１"
EMAIL = "zhang.wei@example.com"
RAW = (ID_NUMBER, MOBILE, "13987654321", FULL_WIDTH_MOBILE, EMAIL)


def _rows(path, query: str) -> str:
    with sqlite3.connect(path) as con:
        return "\n".join(" ".join(str(v) for v in row) for row in con.execute(query))


@pytest.fixture(scope="module")
def stack(model_path, tmp_path_factory):
    s = BotStack(tmp_path_factory.mktemp("pii")).start(model_path)
    yield s
    s.stop()


def test_no_raw_personal_data_in_databases_or_logs(stack):
    stack.say("pii-1", f"我的身份证号{ID_NUMBER}，电话{MOBILE}，护照怎么办理？")
    stack.say("pii-2", f"My email is {EMAIL}, how do I renew my passport?", {"language": "en"})
    stack.say("pii-3", f"转人工，我的手机{FULL_WIDTH_MOBILE}")
    stack.say("pii-4", "护照要多少钱？")
    stack.say("pii-4", '/rate{"rating":"down"}')
    stack.say("pii-4", f"没说清楚，请打我电话{MOBILE}或发邮件{EMAIL}")
    stack.procs[0].terminate()  # the action server goes away: a forced failure
    stack.procs[0].wait(timeout=20)
    stack.say("pii-5", f"身份证{ID_NUMBER}丢了怎么补办？")
    work = stack.workdir
    stored = "\n".join([
        _rows(work / "tracker.db", "SELECT data FROM events"),
        _rows(work / "tracker.db", "SELECT text FROM conversation_turns"),
        _rows(work / "kb.db", "SELECT transcript FROM handoff_tickets"),
        _rows(work / "kb.db", "SELECT comment FROM feedback"),
    ])
    assert "护照" in stored and "没说清楚" in stored  # the conversations are there ...
    logs = "\n".join(p.read_text(errors="replace") for p in work.glob("*.log"))
    for value in RAW:  # ... but not the personal data, neither stored nor logged
        assert value not in stored, value
        assert value not in logs, value
