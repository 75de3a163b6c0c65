"""The action server, started the project's way (tests.stack.action_server_command, as
scripts/run.sh) at DEBUG level, writes no raw ID-card or phone number to its log: neither when an
action fails on a tracker carrying them (the traceback quotes the value) nor for an unknown action.
test_personal_data_end_to_end.py checks the default-level logs of the whole stack."""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.stack import ROOT, action_server_command, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"
TEXT = f"我的身份证{ID_NUMBER}，电话{MOBILE}，转人工"


def tracker() -> dict:
    parse = {"text": TEXT, "intent": {"name": "request_human", "confidence": 1.0}, "entities": []}
    return {"sender_id": "web-pii-log", "slots": {"language": "zh", "failed_turns": TEXT},
            "latest_message": parse, "events": [{"event": "user", "text": TEXT, "parse_data": parse}],
            "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}


def call(port: int, action: str) -> int:
    body = {"next_action": action, "sender_id": "web-pii-log", "tracker": tracker(), "domain": {},
            "version": "3.6.21"}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture
def debug_log(tmp_path) -> str:
    """The log of an action server run with --debug that got the two failing calls."""
    port, log = free_port(), tmp_path / "actions.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.db'}",
           "GOVASSIST_DATA_DIR": str(tmp_path), "SANIC_HOST": "127.0.0.1"}
    with open(log, "w") as out:
        proc = subprocess.Popen(action_server_command(port, "--debug"), cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the action server did not start:\n" + log.read_text())
                time.sleep(0.5)
        assert call(port, "action_handoff") == 500  # failed_turns is not a number: a traceback
        assert call(port, "action_no_such_action") == 404
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return log.read_text(errors="replace")


def test_debug_log_and_tracebacks_are_masked(debug_log):
    assert "DEBUG" in debug_log and "Received request to run 'action_handoff'" in debug_log
    assert "Traceback" in debug_log and "ValueError" in debug_log
    assert "No registered action found for name 'action_no_such_action'" in debug_log
    assert ID_NUMBER not in debug_log and MOBILE not in debug_log
    assert "110*************2X" in debug_log and "138****5678" in debug_log  # masked, still readable
