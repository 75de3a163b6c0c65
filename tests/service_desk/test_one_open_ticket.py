"""One open handoff ticket per conversation: a second request joins the open one, and the
database refuses a second open ticket for a sender (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge_base import db
from service_desk import store
from service_desk.models import ONE_OPEN_TICKET, HandoffTicket
from service_desk.store import ensure_schema, open_ticket


@pytest.fixture
def kb(desk_urls):
    engine = db.make_engine(desk_urls[0])
    ensure_schema(engine)
    yield engine
    engine.dispose()


def _open(session: Session, sender: str = "c1", message: str | None = None):
    return open_ticket(session, sender_id=sender, channel="rest", language="zh", reason="requested",
                       service=None, transcript=[{"who": "user", "text": "转人工"}], message=message)


def open_tickets(engine, sender: str = "c1") -> list[HandoffTicket]:
    with Session(engine) as session:
        return list(session.execute(sa.select(HandoffTicket).filter_by(sender_id=sender, status="open")).scalars())


def test_a_second_request_joins_the_open_ticket_with_the_new_message_masked(kb):
    with Session(kb) as session, session.begin():
        first, opened = _open(session)
        assert opened
        first_id = first.id
    with Session(kb) as session, session.begin():
        second, opened = _open(session, message="还没人回我，电话13812345678")
        assert not opened and second.id == first_id
    with Session(kb) as session, session.begin():
        _open(session, message="还没人回我，电话13812345678")  # the same message again: not repeated
    (ticket,) = open_tickets(kb)
    assert [t["text"] for t in ticket.transcript] == ["转人工", "还没人回我，电话138****5678"]


def test_a_closed_ticket_does_not_stop_a_new_one(kb):
    with Session(kb) as session, session.begin():
        ticket, _ = _open(session)
        ticket.status, closed_id = "closed", ticket.id
    with Session(kb) as session, session.begin():
        again, opened = _open(session)
        assert opened and again.id != closed_id
    assert len(open_tickets(kb)) == 1


def test_the_database_refuses_a_second_open_ticket(kb):
    with Session(kb) as session, session.begin():
        session.add(HandoffTicket(sender_id="c1", transcript=[]))
    with pytest.raises(IntegrityError):
        with Session(kb) as session, session.begin():
            session.add(HandoffTicket(sender_id="c1", transcript=[]))
    with Session(kb) as session, session.begin():  # closed ones and other senders are fine
        session.add_all([HandoffTicket(sender_id="c1", status="closed", transcript=[]),
                         HandoffTicket(sender_id="c2", transcript=[])])


def test_an_older_database_gets_the_index(desk_urls):
    engine = db.make_engine(desk_urls[0])
    HandoffTicket.__table__.create(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP INDEX {ONE_OPEN_TICKET.name}"))
    store._ready.clear()
    ensure_schema(engine)
    names = {ix["name"] for ix in sa.inspect(engine).get_indexes("handoff_tickets")}
    assert ONE_OPEN_TICKET.name in names
    engine.dispose()


def test_requests_at_the_same_moment_make_one_ticket(kb):
    """Both look, neither finds one; the index lets one insert, the other joins its ticket."""
    barrier = threading.Barrier(2, timeout=10)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    real = store._locked_open_ticket
    calls = threading.local()

    def looked_at_the_same_time(session, sender_id):
        found = real(session, sender_id)
        if not getattr(calls, "done", False):
            calls.done = True
            barrier.wait()
        return found

    def request(text: str) -> None:
        try:
            with Session(kb) as session, session.begin():
                ticket, opened = _open(session, message=text)
                results.append((ticket.id, opened))
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    store._locked_open_ticket = looked_at_the_same_time
    try:
        threads = [threading.Thread(target=request, args=(f"请转人工{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        store._locked_open_ticket = real
    assert not errors, errors
    assert sorted(opened for _, opened in results) == [False, True]
    assert len({ticket_id for ticket_id, _ in results}) == 1
    assert len(open_tickets(kb)) == 1
