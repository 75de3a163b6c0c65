"""``install_everywhere`` masks what every configured logger writes, including loggers with no
handler of their own that do not propagate (sanic's in the action server: ``logging.lastResort``)."""
import io
import logging

import pytest

from service_desk.log_masking import MaskingFilter, install_everywhere

RAW = "身份证11010519491231002X，电话13812345678"


@pytest.fixture
def loggers():
    stream = io.StringIO()
    own = logging.getLogger("masking-everywhere.own")
    own.propagate, own.handlers = False, [logging.StreamHandler(stream)]
    bare = logging.getLogger("masking-everywhere.bare")  # like sanic.error: no handler, no propagation
    bare.propagate, bare.handlers = False, []
    last_resort_filters = list(logging.lastResort.filters)
    yield own, bare, stream
    own.handlers = []
    logging.lastResort.filters = last_resort_filters


def test_every_logger_and_the_last_resort_handler_write_masked(loggers, capsys):
    own, bare, stream = loggers
    install_everywhere()
    install_everywhere()  # idempotent
    assert sum(isinstance(f, MaskingFilter) for f in own.handlers[0].filters) == 1
    own.error("tracker: %s", RAW)
    bare.error("failed on %s", RAW)
    written = stream.getvalue() + capsys.readouterr().err
    assert "11010519491231002X" not in written and "13812345678" not in written
    assert written.count("138****5678") == 2 and written.count("110*************2X") == 2
