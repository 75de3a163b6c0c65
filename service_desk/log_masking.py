"""Personal data masked in the servers' logs, not only in the stored conversations.

When a custom action fails, rasa-sdk answers with the whole tracker and Rasa logs it, raw
messages included; other log lines quote messages too. ``install()`` adds a filter to every
handler of the root logger that masks each record's final text (and its traceback) with
:func:`service_desk.privacy.mask_personal_data` before it is written.
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


def install(logger: logging.Logger | None = None) -> None:
    """Adds the filter to every handler of ``logger`` (default: the root logger); idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
