"""make run-prod: a web chat message sent with one message id to both Rasa replicas at once (and
retried through nginx) is handled once; the replicas coordinate through the Redis of their lock
store. Starts the real production stack on loopback (scripts/run_prod.sh)."""
from __future__ import annotations

import json
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.stacks import session_processes
from tests.e2e.conftest import started_prod_stack
from tests.web_senders import issued_sender

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(900)]


def post(url: str, sender: str, message_id: str) -> list[dict]:
    body = {"sender": sender, "message": "护照怎么办理？", "metadata": {"language": "zh"}, "message_id": message_id}
    req = urllib.request.Request(f"{url}/webhooks/webchat/webhook", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode())


def user_events(url: str, sender: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/conversations/{sender}/tracker", timeout=30) as r:
        return [e for e in json.loads(r.read().decode())["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def prod():
    stack = started_prod_stack()
    yield stack
    stack.stop()


def test_one_message_id_on_both_replicas_at_once_is_one_turn(prod):
    a, b = prod.replica_urls[:2]
    # issued through nginx by either replica, taken by both (they share the key file in the data directory)
    sender, message_id = issued_sender(prod.url), str(uuid.uuid4())
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda url: post(url, sender, message_id), [a, b, a, b]))
    assert answers[0] and any("护照" in m.get("text", "") for m in answers[0])
    assert all(x == answers[0] for x in answers)
    assert post(prod.url, sender, message_id) == answers[0]  # a later retry, through nginx
    assert [e.get("message_id") for e in user_events(a, sender)] == [message_id]


def test_run_prod_starts_the_action_servers_with_masked_logs(prod):
    commands = [cmd for _, cmd in session_processes(prod.proc.pid)]
    action_servers = [c for c in commands if "--actions actions" in c]
    assert len(action_servers) == 2
    assert all("-m service_desk.action_server " in c for c in action_servers)
