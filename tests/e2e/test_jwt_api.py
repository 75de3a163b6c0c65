"""Rasa's HTTP API with a JWT secret (RASA_JWT_SECRET, production): calls need a token in the
Authorization header, signed per staff member and short-lived; the console's handoff calls use it."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from console.rasa_client import RasaClient
from service_desk.rasa_api import staff_jwt
from tests.stack import BotStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
SECRET = "test-jwt-secret-" + "x" * 24


@pytest.fixture(scope="module")
def stack(model_path, tmp_path_factory):
    s = BotStack(tmp_path_factory.mktemp("jwt"), rasa_args=["--jwt-secret", SECRET, "--jwt-method", "HS256"])
    s.start(model_path)
    yield s
    s.stop()


def status(url: str, bearer: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def test_the_api_needs_a_valid_staff_token(stack):
    stack.say("jwt-1", "护照怎么办理？")
    url = f"{stack.url}/conversations/jwt-1/tracker"
    assert status(url) == 401
    assert status(url, staff_jwt(SECRET, "zhang")) == 200
    assert status(url, staff_jwt("another secret" + "y" * 20, "zhang")) == 401
    assert status(url, staff_jwt(SECRET, "zhang", now=time.time() - 3600)) == 401  # expired


async def test_the_console_relays_with_its_token(stack):
    messages = stack.say("jwt-2", "I want to talk to a person", {"language": "en"})
    assert any("staff" in (m.get("text") or "") for m in messages), messages
    client = RasaClient(stack.url, jwt_secret=SECRET)
    try:
        await client.relay("jwt-2", {"text": "Hello from the service desk."}, "li")
        await client.resume("jwt-2", "li")
        tracker = await client.tracker("jwt-2", "li")
    finally:
        await client.close()
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "bot"]
    assert "Hello from the service desk." in texts and not tracker["paused"]
    assert json.dumps(tracker).count("Hello from the service desk.") >= 1
