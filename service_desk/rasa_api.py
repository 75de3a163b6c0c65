"""The few Rasa HTTP API calls staff tools need (with a timeout and the optional token)."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request


def _url(base: str, path: str, token: str) -> str:
    query = f"?token={urllib.parse.quote(token)}" if token else ""
    return f"{base.rstrip('/')}{path}{query}"


def append_event(base: str, sender_id: str, event: dict, token: str = "", timeout: float = 10.0) -> None:
    """Appends one event (e.g. ``{"event": "resume"}``) to a conversation's tracker."""
    path = f"/conversations/{urllib.parse.quote(sender_id, safe='')}/tracker/events"
    req = urllib.request.Request(_url(base, path, token), data=json.dumps(event).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        resp.read()
