"""Small bounded in-memory stores of the Telegram channel (one Rasa process; lost on restart)."""
from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

CALLBACK_DATA_MAX_BYTES = 64  # Telegram's limit for InlineKeyboardButton.callback_data
# callback_data this channel makes up itself starts with this; Rasa payloads never use it as-is.
RESERVED_PREFIX = "tg:"
SHORT_PREFIX = RESERVED_PREFIX + "p:"
LANGUAGE_PREFIX = RESERVED_PREFIX + "lang:"


class LRUDict(Generic[K, V]):
    """A dict that forgets its least recently used entries beyond ``maxsize``."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be positive")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        if key not in self._data:
            return default
        self._data.move_to_end(key)
        return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)


class CallbackPayloads:
    """Maps button payloads to ``callback_data`` of at most 64 bytes, and back.

    A payload that fits (and does not start with the reserved ``tg:`` prefix) is used as it is.
    A longer one gets a short id derived from its hash (``tg:p:<16 chars>``, so the same payload
    always gets the same id) and is kept in a bounded LRU dict; after ``maxsize`` other long
    payloads or a restart it is forgotten and :meth:`resolve` returns ``None`` for it.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        self._long: LRUDict[str, str] = LRUDict(maxsize)

    @staticmethod
    def fits(payload: str) -> bool:
        return (0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES
                and not payload.startswith(RESERVED_PREFIX))

    def encode(self, payload: str) -> str:
        if self.fits(payload):
            return payload
        digest = hashlib.blake2b(payload.encode("utf-8", "replace"), digest_size=12).digest()
        short = SHORT_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")
        self._long[short] = payload
        return short

    def resolve(self, data: str) -> str | None:
        """The payload behind ``callback_data`` (``None`` for a forgotten short id)."""
        if data.startswith(SHORT_PREFIX):
            return self._long.get(data)
        return data

    def __len__(self) -> int:
        return len(self._long)


class RecentIds:
    """Remembers the last ``maxsize`` ids (Telegram update_id) to drop redelivered updates."""

    def __init__(self, maxsize: int = 5_000) -> None:
        self._seen: LRUDict[int, bool] = LRUDict(maxsize)

    def seen(self, key: int) -> bool:
        """True if ``key`` was seen before; remembers it either way."""
        if key in self._seen:
            return True
        self._seen[key] = True
        return False
