"""Retention: what is older than N days goes, whole conversations at a time; open tickets,
paused conversations and the daily counts stay (SQLite and PostgreSQL)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.orm import Session

from bot.settings import Settings
from knowledge_base import db
from service_desk.cli import main as desk_cli
from service_desk.models import ConversationTurn, Feedback, HandoffTicket, TurnBase, TurnRollup
from service_desk.retention import purge
from service_desk.rollups import count_day
from service_desk.store import ensure_schema
from service_desk.turns import local_day

DAYS = 30
NOW = datetime.now(timezone.utc)
OLD = NOW - timedelta(days=DAYS + 10)
RECENT = NOW - timedelta(days=3)
TZ = "Asia/Shanghai"


def _event(sender: str, type_name: str, at: datetime) -> dict:
    return {"sender_id": sender, "type_name": type_name, "timestamp": at.timestamp(),
            "intent_name": None, "action_name": None, "data": "{}"}


def _turn(sender: str, at: datetime, service: str = "passport_application") -> ConversationTurn:
    return ConversationTurn(sender_id=sender, timestamp=at.timestamp(), channel="rest", language="zh",
                            text="护照怎么办", intent="ask_how", service=service, aspect=None,
                            outcome="answered", day=local_day(at.timestamp(), TZ), opens_session=True)


@pytest.fixture
def engines(desk_urls):
    kb_url, tracker_url = desk_urls
    kb, tracker = db.make_engine(kb_url), sa.create_engine(tracker_url)
    ensure_schema(kb)
    SQLTrackerStore.SQLEvent.metadata.create_all(tracker)  # Rasa's own events table
    TurnBase.metadata.create_all(tracker)
    yield kb, tracker
    kb.dispose()
    tracker.dispose()


@pytest.fixture
def stored(engines):
    """Conversations and desk rows either side of the cut-off."""
    kb, tracker = engines
    events = SQLTrackerStore.SQLEvent.__table__
    rows = [
        _event("old", "user", OLD), _event("old", "bot", OLD + timedelta(seconds=2)),
        _event("recent", "user", RECENT), _event("recent", "bot", RECENT),
        # began long ago, still going: kept whole
        _event("long", "user", OLD), _event("long", "user", NOW - timedelta(hours=2)),
        # handed over long ago and still paused: kept
        _event("paused", "user", OLD), _event("paused", "pause", OLD + timedelta(seconds=1)),
        # handed over and given back long ago: goes
        _event("resumed", "pause", OLD), _event("resumed", "resume", OLD + timedelta(seconds=5)),
        # an open ticket, not paused (say, resumed by hand): kept
        _event("ticketed", "user", OLD),
    ]
    with tracker.begin() as conn:
        conn.execute(events.insert(), rows)
    with Session(tracker) as session, session.begin():
        session.add_all([_turn("old", OLD), _turn("recent", RECENT), _turn("long", OLD),
                         _turn("long", NOW - timedelta(hours=2)), _turn("paused", OLD), _turn("ticketed", OLD)])
    with Session(kb) as session, session.begin():
        session.add_all([
            HandoffTicket(sender_id="closed-old", status="closed", transcript=[], created_at=OLD, closed_at=OLD),
            HandoffTicket(sender_id="closed-late", status="closed", transcript=[], created_at=OLD, closed_at=RECENT),
            HandoffTicket(sender_id="ticketed", status="open", transcript=[], created_at=OLD),
            Feedback(sender_id="old", rating="up", created_at=OLD),
            Feedback(sender_id="recent", rating="down", created_at=RECENT),
        ])
    return kb, tracker


def senders(tracker) -> set[str]:
    with tracker.connect() as conn:
        return set(conn.execute(sa.select(SQLTrackerStore.SQLEvent.sender_id).distinct()).scalars())


def event_count(tracker, sender: str) -> int:
    with tracker.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(SQLTrackerStore.SQLEvent.__table__)
                            .where(SQLTrackerStore.SQLEvent.sender_id == sender)).scalar()


def turns(tracker) -> list[tuple[str, float]]:
    with Session(tracker) as session:
        return sorted(session.execute(sa.select(ConversationTurn.sender_id, ConversationTurn.timestamp)))


def test_purge_deletes_what_is_older_and_keeps_open_tickets_and_paused_conversations(stored):
    kb, tracker = stored
    old_day = local_day(OLD.timestamp(), TZ)
    with Session(tracker) as session:
        counted_before = sorted((r["channel"], r["dim"], r["key"], r["messages"]) for r in count_day(session, old_day))

    counts = purge(kb, tracker, DAYS, now=NOW, tz=TZ)

    assert senders(tracker) == {"recent", "long", "paused", "ticketed"}
    assert event_count(tracker, "long") == 2  # the whole conversation, its old message too
    assert event_count(tracker, "paused") == 2
    assert [s for s, _ in turns(tracker)] == ["long", "paused", "recent", "ticketed"]
    assert all(ts > NOW.timestamp() - 86400 * DAYS for s, ts in turns(tracker) if s in ("long", "recent"))
    with Session(kb) as session:
        assert sorted(session.execute(sa.select(HandoffTicket.sender_id, HandoffTicket.status))) == [
            ("closed-late", "closed"), ("ticketed", "open")]
        assert list(session.execute(sa.select(Feedback.sender_id)).scalars()) == ["recent"]
    assert (counts.conversations, counts.events, counts.turns, counts.tickets, counts.feedback,
            counts.kept_paused) == (2, 4, 2, 1, 1, 2)

    # the day's counts outlive its messages, and hold nobody's identity or words
    with Session(tracker) as session:
        rolled = sorted((r.channel, r.dim, r.key, r.messages)
                        for r in session.execute(sa.select(TurnRollup).where(TurnRollup.day == old_day)).scalars())
    assert rolled == counted_before and ("rest", "total", "", 4) in rolled
    assert set(TurnRollup.__table__.c.keys()) == {"day", "channel", "dim", "key", "messages", "conversations"}

    again = purge(kb, tracker, DAYS, now=NOW, tz=TZ)
    assert (again.conversations, again.events, again.turns, again.tickets, again.feedback) == (0, 0, 0, 0, 0)


def test_dry_run_counts_the_same_and_deletes_nothing(stored):
    kb, tracker = stored
    before = (senders(tracker), turns(tracker))
    dry = purge(kb, tracker, DAYS, now=NOW, tz=TZ, dry_run=True)
    assert (senders(tracker), turns(tracker)) == before
    with Session(kb) as session:
        assert session.execute(sa.select(sa.func.count(HandoffTicket.id))).scalar() == 3
    assert purge(kb, tracker, DAYS, now=NOW, tz=TZ) == dry


def test_a_longer_retention_keeps_everything(stored):
    kb, tracker = stored
    counts = purge(kb, tracker, DAYS + 20, now=NOW, tz=TZ)
    assert (counts.conversations, counts.events, counts.turns, counts.tickets, counts.feedback) == (0, 0, 0, 0, 0)
    assert len(senders(tracker)) == 6


def test_zero_days_is_refused(engines):
    with pytest.raises(ValueError):
        purge(*engines, 0)


def test_cli_prints_the_counts(stored, desk_urls, capsys, monkeypatch):
    kb_url, tracker_url = desk_urls
    monkeypatch.setenv("RETENTION_DAYS", str(DAYS))
    assert desk_cli(["--database-url", kb_url, "purge", "--dry-run", "--tracker-db-url", tracker_url]) == 0
    out = capsys.readouterr().out
    assert f"older than {DAYS} days, would delete" in out and "conversations=2 " in out and "tickets=1 " in out
    assert len(senders(stored[1])) == 6
    assert desk_cli(["--database-url", kb_url, "purge", "--days", str(DAYS), "--tracker-db-url", tracker_url]) == 0
    assert "deleted: conversations=2 events=4 turns=2 tickets=1 feedback=1" in capsys.readouterr().out
    assert len(senders(stored[1])) == 4


def test_cli_does_nothing_when_retention_is_off(stored, desk_urls, capsys, monkeypatch):
    kb_url, tracker_url = desk_urls
    monkeypatch.setenv("RETENTION_DAYS", "0")
    assert desk_cli(["--database-url", kb_url, "purge", "--tracker-db-url", tracker_url]) == 0
    assert "retention is off" in capsys.readouterr().out
    assert len(senders(stored[1])) == 6


def test_retention_setting():
    assert Settings.from_env({}).retention_days == 180
    assert Settings.from_env({"RETENTION_DAYS": "0"}).retention_days == 0
    assert Settings.from_env({"RETENTION_DAYS": "30"}).retention_days == 30
    assert replace(Settings.from_env({}), retention_days=7).retention_days == 7


def test_a_conversation_that_got_a_message_since_the_first_look_is_kept(stored, monkeypatch):
    """The first look finds a conversation old; a message arrives before the delete: kept whole."""
    from service_desk import retention

    kb, tracker = stored
    first_look = retention._old_conversations
    monkeypatch.setattr(retention, "_old_conversations", lambda conn, cutoff: [*first_look(conn, cutoff), "recent"])
    counts = purge(kb, tracker, DAYS, now=NOW, tz=TZ)
    assert "recent" in senders(tracker) and event_count(tracker, "recent") == 2
    assert counts.conversations == 2
