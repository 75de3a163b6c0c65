"""The few Rasa HTTP API calls staff tools need (with a timeout and the optional token)."""
from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

JWT_SECONDS = 300


def staff_jwt(secret: str, username: str, now: float | None = None) -> str:
    """A short-lived token for Rasa's HTTP API (``rasa run --jwt-secret``) naming the staff member;
    Rasa's "admin" role lets it act on any conversation."""
    import jwt

    now = time.time() if now is None else now
    payload = {"user": {"username": username, "role": "admin"}, "iat": int(now), "exp": int(now) + JWT_SECONDS}
    return jwt.encode(payload, secret, algorithm="HS256")


def _url(base: str, path: str, token: str) -> str:
    query = f"?token={urllib.parse.quote(token)}" if token else ""
    return f"{base.rstrip('/')}{path}{query}"


def append_event(base: str, sender_id: str, event: dict, token: str = "", timeout: float = 10.0,
                 jwt: str = "") -> None:
    """Appends one event (e.g. ``{"event": "resume"}``) to a conversation's tracker; with ``jwt``
    the token goes in the Authorization header instead of the URL."""
    path = f"/conversations/{urllib.parse.quote(sender_id, safe='')}/tracker/events"
    headers = {"Content-Type": "application/json"}
    if jwt:
        headers["Authorization"] = f"Bearer {jwt}"
    req = urllib.request.Request(_url(base, path, "" if jwt else token), data=json.dumps(event).encode(),
                                 headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        resp.read()
