"""Sender ids for tests of the web chat channel, which takes only the ids it issued and signed
(channels/web/senders.py): from a running server over HTTP (:func:`issued_sender`), or signed in
the test process under :data:`KEY` for a channel made there (``WebChatInput(sender_key=KEY)``)."""
from __future__ import annotations

import json
import urllib.request

from channels.web import senders

KEY = b"tests: web chat sender-id key 32"  # 32 bytes


def signed(key: bytes = KEY) -> str:
    """A sender id as a channel with ``key`` issues it."""
    return senders.issue(key)


def issued_sender(base_url: str, timeout: float = 10.0) -> str:
    """A new sender id from the web chat channel of the server at ``base_url`` (``POST
    /webhooks/webchat/session``), as the widget gets one."""
    req = urllib.request.Request(f"{base_url.rstrip('/')}/webhooks/webchat/session", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        sender = json.loads(r.read().decode("utf-8"))["sender"]
    assert senders.ISSUED_RE.fullmatch(sender), sender
    return sender
