"""Server-issued, signed sender ids of the web chat (pure functions; no Rasa here).

A web chat conversation is named by its sender id, and whoever sends a sender id reads and continues
that conversation. So the channel makes the ids itself and accepts only its own: the widget asks
``POST /webhooks/webchat/session`` for one, and every endpoint that takes a sender checks it.

An id is ``web-<random>.<mac>``: ``<random>`` is 16 random bytes and ``<mac>`` the first 16 bytes of
HMAC-SHA256 of ``web-<random>`` under the channel's key, both base64url without padding (22
characters each; 49 characters in all, within the channel's ``[A-Za-z0-9_.:@-]{1,128}``). Checking
needs no storage: the MAC is computed again and compared in constant time
(:func:`hmac.compare_digest`). An id the client made up (the widget's old ``web-<uuid>``), one
whose MAC was changed, or one signed under another key (after a rotation) is refused.

The key (:func:`sender_key`): ``WEB_SENDER_SECRET`` from the environment (through
``bot.settings.Settings``; at least 32 characters, used as its UTF-8 bytes), else on one machine 32
random bytes kept in the data directory (``web_sender.key``, made on first use, mode 600, written
atomically so that replicas starting together end up with the same key). Replicas on several hosts
must share ``WEB_SENDER_SECRET``. A new key signs every open web conversation out: the widget then
gets a new sender id and carries on in a new conversation.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge_base import keyfile

if TYPE_CHECKING:
    from bot.settings import Settings

PREFIX = "web-"
RANDOM_BYTES = 16
MAC_BYTES = 16  # 128 bits of HMAC-SHA256
KEY_BYTES = 32  # a key made here
MIN_SECRET_CHARS = 32  # WEB_SENDER_SECRET
KEY_FILE = "web_sender.key"
_B64_CHARS = r"[A-Za-z0-9_-]"
ISSUED_RE = re.compile(rf"(?P<part>{re.escape(PREFIX)}{_B64_CHARS}{{22}})\.(?P<mac>{_B64_CHARS}{{22}})")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def mac(key: bytes, part: str) -> str:
    """The MAC of ``part`` (``web-<random>``): HMAC-SHA256 under ``key``, truncated to 128 bits."""
    return _b64(hmac.new(key, part.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES])


def issue(key: bytes) -> str:
    """A new sender id ``web-<random>.<mac>``."""
    part = PREFIX + _b64(secrets.token_bytes(RANDOM_BYTES))
    return f"{part}.{mac(key, part)}"


def is_issued(key: bytes, sender: Any) -> bool:
    """Whether ``sender`` is an id :func:`issue` made with ``key`` (the MAC compared in constant time)."""
    if not isinstance(sender, str):
        return False
    match = ISSUED_RE.fullmatch(sender)
    if match is None:
        return False
    return hmac.compare_digest(mac(key, match["part"]), match["mac"])


def key_from_secret(secret: str) -> bytes:
    """The key for ``WEB_SENDER_SECRET`` (ValueError if it is shorter than 32 characters)."""
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(f"WEB_SENDER_SECRET must be at least {MIN_SECRET_CHARS} characters "
                         "(python -c 'import secrets;print(secrets.token_urlsafe(32))')")
    return secret.encode("utf-8")


def key_file(path: Path) -> bytes:
    """The key kept in ``path``: made on first use (32 random bytes, mode 600, atomic: a process that
    loses the race to make it reads the winner's), then read (ValueError if it is not 32 bytes)."""
    return keyfile.read_or_create(path, when_replaced="every open web conversation then starts again")


def sender_key(settings: Settings) -> bytes:
    """The web chat's signing key: ``WEB_SENDER_SECRET`` if set, else the key file in the data directory."""
    if settings.web_sender_secret:
        return key_from_secret(settings.web_sender_secret)
    return key_file(settings.web_sender_key_file)
