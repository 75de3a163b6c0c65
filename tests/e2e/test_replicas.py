"""make run-prod: one conversation continues across Rasa replicas (shared PostgreSQL tracker
store, Redis lock store), behind nginx. Starts the real production stack on loopback."""
import json
import urllib.request

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import started_prod_stack

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(900)]


TOKEN: dict = {}  # the stack's REST_TOKEN header (the REST channel is public only behind it)


def say(url: str, sender: str, message: str, headers: dict | None = None) -> list[dict]:
    req = urllib.request.Request(f"{url}/webhooks/rest/webhook",
                                 json.dumps({"sender": sender, "message": message}).encode(),
                                 {"Content-Type": "application/json", **(TOKEN if headers is None else headers)})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode() or "[]")


def slots(url: str, sender: str) -> dict:
    with urllib.request.urlopen(f"{url}/conversations/{sender}/tracker", timeout=30) as r:
        return json.loads(r.read().decode())["slots"]


@pytest.fixture(scope="module")
def prod():
    stack = started_prod_stack()
    TOKEN.update(stack.rest_headers)
    yield stack
    TOKEN.clear()
    stack.stop()


@pytest.mark.parametrize("lang,first,second,fee", [
    ("zh", "护照怎么办理？", "要多少钱？", "120"),
    ("en", "How do I apply for a passport?", "How much does it cost?", "120"),
])
def test_turn_two_on_another_replica_keeps_the_service(prod, lang, first, second, fee):
    a, b = prod.replica_urls[:2]
    sender = f"replicas-{lang}"
    assert say(a, sender, first)
    assert slots(a, sender)["service"] == "passport_application"
    replies = say(b, sender, second)  # the other replica: context comes from the shared stores
    assert fee in " ".join(r.get("text", "") for r in replies)
    after = slots(b, sender)
    assert after["service"] == "passport_application" and after["aspect"] == "fee"
    assert after["language"] == lang
    assert slots(a, sender)["aspect"] == "fee"  # and replica A sees turn 2


def test_the_load_balancer_serves_the_channels_and_conversations_are_in_postgresql(prod):
    sender = "replicas-lb"
    assert say(prod.url, sender, "身份证丢了怎么补办？")
    assert say(prod.url, sender, "在哪里办？")
    engine = create_engine(prod.env["TRACKER_DB_URL"])
    try:
        with engine.connect() as con:
            texts = con.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                                {"s": sender}).scalars().all()
    finally:
        engine.dispose()
    assert [json.loads(t)["text"] for t in texts] == ["身份证丢了怎么补办？", "在哪里办？"]


def test_the_public_port_serves_only_the_channels(prod):
    """Rasa's HTTP API is not reachable through the public port, token or not; staff tools use the
    internal API port (RASA_API_URL)."""
    import urllib.error

    sender = "replicas-api"
    assert say(prod.url, sender, "护照怎么办理？")
    for path in (f"/conversations/{sender}/tracker", "/status", "/model/parse"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{prod.url}{path}", timeout=10)
        assert refused.value.code == 404, path
    api = f"http://127.0.0.1:{prod.env['API_PORT']}"
    assert slots(api, sender)["service"] == "passport_application"


def test_the_public_rest_channel_needs_its_token(prod):
    import urllib.error

    for headers in ({}, {"Authorization": "Bearer wrong"}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            say(prod.url, "replicas-no-token", "护照怎么办理？", headers=headers)
        assert refused.value.code == 401
        assert json.loads(refused.value.read().decode())["error"] == "rest_token_required"
    assert say(prod.url, "replicas-no-token", "护照怎么办理？")  # with it (TOKEN)
