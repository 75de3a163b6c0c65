"""Personal data masked in the servers' logs, not only in the stored conversations.

When a custom action fails, rasa-sdk answers with the whole tracker and Rasa logs it, raw
messages included; other log lines quote messages too. ``install()`` adds a filter to every
handler of the root logger that masks each record's final text (and its traceback) with
:func:`service_desk.privacy.mask_personal_data` before it is written; ``install_everywhere()``
does it for every logger's handlers (the action server: service_desk/action_server.py).
"""
from __future__ import annotations

import logging

from service_desk.privacy import mask_personal_data

_FORMATTER = logging.Formatter()


class MaskingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to logging
            return True
        masked = mask_personal_data(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


def _add_filter(handler: logging.Handler) -> None:
    if not any(isinstance(f, MaskingFilter) for f in handler.filters):
        handler.addFilter(MaskingFilter())


def install(logger: logging.Logger | None = None) -> None:
    """Adds the filter to every handler of ``logger`` (default: the root logger); idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        _add_filter(handler)


def install_everywhere() -> None:
    """Adds the filter to every handler of every logger configured so far, and to the handler
    that writes the records of loggers without one (``logging.lastResort``: sanic's loggers in
    the action server do not propagate and have none); idempotent."""
    install()
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            install(logger)
    if logging.lastResort is not None:
        _add_filter(logging.lastResort)
