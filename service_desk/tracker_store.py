"""A SQL tracker store that masks personal data before conversations are written to disk.

Configured in endpoints.yml (``type: service_desk.tracker_store.MaskingSQLTrackerStore``). The
bot still understands the message it was sent; only what is stored (and later read back, shown
to staff or exported) has resident IDs, mobile numbers and e-mail addresses masked.
"""
from __future__ import annotations

import itertools
import json
import time
from typing import Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered

from bot.settings import Settings
from service_desk.models import ConversationTurn, TurnBase
from service_desk.privacy import mask_personal_data
from service_desk.turns import summarise

SUMMARISED = (UserUttered, BotUttered, SlotSet, SessionStarted)
STORED = "_govassist_stored_events"  # on a tracker: how many of its events are in the database
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL before the turn fails (bot/resilience.py apologises)


def _masked_value(value):
    """Strings masked inside a slot value or metadata (dicts and lists walked, bounded by their size)."""
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {k: _masked_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_value(v) for v in value]
    return value


def masked(event: Event) -> Event:
    """``event`` with personal data masked: user and bot texts, the user's metadata, and slot
    values (a 👎 comment is kept in a slot)."""
    if isinstance(event, SlotSet):
        value = _masked_value(event.value)
        return event if value == event.value else SlotSet(event.key, value, event.timestamp, event.metadata)
    if not isinstance(event, (UserUttered, BotUttered)):
        return event
    data = event.as_dict()
    changed = False
    if event.text:
        text = mask_personal_data(event.text)
        if text != event.text:
            data["text"] = text
            if isinstance(data.get("parse_data"), dict):
                data["parse_data"]["text"] = text
            changed = True
    for holder in (data, data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}):
        if holder.get("metadata"):
            metadata = _masked_value(holder["metadata"])
            if metadata != holder["metadata"]:
                holder["metadata"] = metadata
                changed = True
    return Event.from_parameters(data) if changed else event


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _summary_fields(event: Event) -> dict:
    """The few fields ``summarise`` reads, without serialising the whole event (``as_dict`` of a
    user message copies its whole parse data)."""
    if isinstance(event, UserUttered):
        return {"event": "user", "text": event.text, "timestamp": event.timestamp,
                "input_channel": event.input_channel, "metadata": event.metadata,
                "parse_data": {"intent": {"name": event.intent_name}}}
    if isinstance(event, BotUttered):
        return {"event": "bot", "metadata": event.metadata}
    if isinstance(event, SlotSet):
        return {"event": "slot", "name": event.key, "value": event.value}
    return {"event": event.type_name}


def _create_turn_tables(engine: sa.engine.Engine, attempts: int = 5) -> None:
    """Creates the summary tables; replicas starting together race for the same CREATE TABLE on
    PostgreSQL, so the loser looks again (the winner's table is then there)."""
    for attempt in range(attempts):
        try:
            TurnBase.metadata.create_all(engine)
            return
        except sa.exc.DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events never contain unmasked personal data, and which keeps
    one summary row per citizen message (``conversation_turns``) for the staff console. On SQLite
    (make run) it writes ahead (WAL) with a busy timeout: concurrent conversations wait for the
    write lock instead of failing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = Settings.from_env()
        self._reconnecting_engine(settings.tracker_synchronous_commit)
        _create_turn_tables(self.engine)
        self._timezone = settings.timezone
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.engine.dispose()  # connections opened while creating the tables get the pragmas too

    def _reconnecting_engine(self, synchronous_commit: bool = False) -> None:
        """Rasa's engine again, with two settings for a database that restarts or goes away: each
        pooled connection is pinged before use (a restarted PostgreSQL costs no failed turn once it
        is back: stale connections are replaced), and connecting gives up after a few seconds
        (``connect_timeout``) instead of holding the server's event loop.

        On PostgreSQL the tracker's commits are asynchronous unless ``synchronous_commit``
        (``TRACKER_SYNCHRONOUS_COMMIT=on``): Rasa's store commits on the server's event loop, which
        otherwise waits for each turn's WAL flush to disk. A PostgreSQL crash (not an application
        crash) can then lose the last fraction of a second of conversation events, never leave them
        half-written; the knowledge base and the console's writes stay synchronous."""
        from rasa.core.tracker_store import create_engine_kwargs

        url = self.engine.url
        kwargs = create_engine_kwargs(url)
        if self.engine.dialect.name == "postgresql":
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "connect_timeout": CONNECT_TIMEOUT}
            if not synchronous_commit:
                options = kwargs["connect_args"].get("options", "")  # Rasa's schema search path, if any
                kwargs["connect_args"]["options"] = f"{options} -c synchronous_commit=off".strip()
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str):
        """Rasa's tracker of the latest session, marked with how many of its events are stored:
        ``save`` then knows the new ones without asking the database (the conversation's lock,
        held by whoever retrieved it for a turn, keeps anyone else from storing events meanwhile)."""
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    def init_tracker(self, sender_id: str):
        """A new tracker: none of its events can be stored yet, so its first save counts nothing
        (a new conversation's first save was counted in the database)."""
        tracker = super().init_tracker(sender_id)
        setattr(tracker, STORED, 0)
        return tracker

    async def create_tracker(self, sender_id: str, append_action_listen: bool = True):
        """Rasa's new tracker, not written on its own: the turn that asked for it saves it with
        its own events at the end (one transaction per new conversation fewer). A turn that fails
        before then leaves nothing behind, as if the message had not come."""
        tracker = self.init_tracker(sender_id)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        return tracker

    async def save(self, tracker) -> None:
        """Rasa's ``save`` with the same rows, written in one multi-row INSERT instead of one ORM
        object per event (the ORM's unit of work was a tenth of a replica's CPU)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                             "timestamp": data.get("timestamp"),
                             "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
                             "action_name": data.get("name"), "data": json.dumps(data)})
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, STORED, len(tracker.events))  # a second save in the same turn adds only what is new

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        """The new events, masked. Rasa's ``save`` adds each to ``session`` and then commits; when
        the last one has been handed over, the turns they make up are added to the same session,
        so events and summary rows are stored in one transaction. How many are stored already is
        known for a tracker this store retrieved or saved; only for another (a full tracker from
        the HTTP API) is it counted in the database."""
        stored = getattr(tracker, STORED, None)
        if stored is None:
            stored = self._stored_since_session_start(session, tracker.sender_id)
        new: list[dict] = []
        for event in itertools.islice(tracker.events, stored, len(tracker.events)):
            event = masked(event)
            if isinstance(event, SUMMARISED):
                new.append(_summary_fields(event))
            yield event
        language = tracker.get_slot("language") or "zh"
        for fact in summarise(new, tracker.sender_id, language=language,
                              channel=tracker.get_latest_input_channel() or "rest",
                              current={k: tracker.get_slot(k) for k in ("service", "aspect")},
                              tz=self._timezone):
            session.add(ConversationTurn(
                sender_id=fact.sender_id, timestamp=fact.timestamp, channel=fact.channel,
                language=fact.language, text=fact.text, intent=fact.intent, service=fact.service,
                aspect=fact.aspect, outcome=fact.outcome, day=fact.day, opens_session=fact.opens_session))

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
