"""Keeps the bot token out of log files.

The Bot API puts the token in every URL (``https://api.telegram.org/bot<token>/sendMessage``),
and httpx logs each request URL at INFO level; python-telegram-bot logs it at DEBUG.  A filter on
those loggers (and on the channel's own) replaces the token with ``<telegram-token>``, in the
message and in a formatted traceback.
"""
from __future__ import annotations

import logging

MASK = "<telegram-token>"
LOGGERS = ("httpx", "httpcore", "telegram", "telegram.Bot", "telegram.request",
           "telegram.request.BaseRequest", "telegram.request.HTTPXRequest", "channels.telegram")


class RedactTokens(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def redact(self, text: str) -> str:
        for token in self.tokens:
            text = text.replace(token, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the handler's business
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


_FILTER = RedactTokens()


def protect(token: str) -> None:
    """Redact ``token`` from the Telegram-related loggers from now on (idempotent)."""
    if not token:
        return
    _FILTER.tokens.add(token)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact(text: str) -> str:
    return _FILTER.redact(text)
