"""A SQL tracker store that masks personal data before conversations are written to disk.

Configured in endpoints.yml (``type: service_desk.tracker_store.MaskingSQLTrackerStore``). The
bot still understands the message it was sent; only what is stored (and later read back, shown
to staff or exported) has resident IDs, mobile numbers and e-mail addresses masked.
"""
from __future__ import annotations

import itertools
from typing import Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, SessionStarted, UserUttered

from service_desk.privacy import mask_personal_data


def masked(event: Event) -> Event:
    """``event`` with personal data masked in its text (user and bot messages only)."""
    if not isinstance(event, (UserUttered, BotUttered)) or not event.text:
        return event
    text = mask_personal_data(event.text)
    if text == event.text:
        return event
    data = event.as_dict()
    data["text"] = text
    if isinstance(data.get("parse_data"), dict):
        data["parse_data"]["text"] = text
    return Event.from_parameters(data)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events never contain unmasked personal data. On SQLite
    (make run) it writes ahead (WAL) with a busy timeout: concurrent conversations wait for the
    write lock instead of failing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.engine.dispose()  # connections opened while creating the tables get the pragmas too

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        stored = self._stored_since_session_start(session, tracker.sender_id)
        return (masked(e) for e in itertools.islice(tracker.events, stored, len(tracker.events)))

    def _stored_since_session_start(self, session, sender_id: str) -> int:
        """How many events of the latest session are stored: the count Rasa's own
        ``_additional_events`` takes, without its ``SELECT count(*) FROM (SELECT every column of
        every event ORDER BY id)`` (a tenth of a replica's CPU under load)."""
        event = self.SQLEvent
        start = session.query(sa.func.max(event.timestamp)).filter(
            event.sender_id == sender_id, event.type_name == SessionStarted.type_name).scalar()
        count = session.query(sa.func.count(event.id)).filter(event.sender_id == sender_id)
        if start is not None:
            count = count.filter(event.timestamp >= start)
        return int(count.scalar() or 0)
