"""Log lines (and tracebacks) are written with personal data masked."""
import io
import logging

import pytest

from service_desk.log_masking import install


@pytest.fixture
def log():
    stream = io.StringIO()
    logger = logging.getLogger("masking-test")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.handlers = [handler]
    install(logger)
    install(logger)  # idempotent
    assert len(handler.filters) == 1
    yield logger, stream
    logger.handlers = []


def test_messages_and_arguments_are_masked(log):
    logger, stream = log
    logger.error("failed action for tracker %s", {"text": "我的身份证１１０１０５１９４９１２３１００２Ｘ，电话13812345678"})
    written = stream.getvalue()
    assert "13812345678" not in written and "1949123100" not in written and "138****5678" in written


def test_tracebacks_are_masked(log):
    logger, stream = log
    try:
        raise ValueError("bad passport E12345678")
    except ValueError:
        logger.exception("action failed")
    written = stream.getvalue()
    assert "E12345678" not in written and "ValueError" in written
