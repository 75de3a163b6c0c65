"""Retention: deletes conversations, summaries, closed tickets and feedback older than N days.

Two databases take part. In the tracker database (TRACKER_DB_URL): Rasa's stored ``events`` of
every conversation whose *last* event is older than the cut-off (whole conversations, by sender,
never half of one) and the per-message summary rows (``conversation_turns``) older than it; each
day's counts are kept first in ``conversation_turns_daily`` (no sender, no text; see
service_desk/rollups.py), so the dashboard still shows the past. In the knowledge-base database
(DATABASE_URL): closed handoff tickets closed before the cut-off and feedback given before it.

Never deleted: an open ticket, and anything of a conversation that has an open ticket or is
paused (handed over to staff: its last pause/resume event is a pause).

Used by ``python -m service_desk purge`` and by the console's daily background run.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from service_desk.models import ConversationTurn, Feedback, HandoffTicket, TurnBase
from service_desk.rollups import rolled_up
from service_desk.turns import local_day

BATCH = 500  # senders per DELETE (SQLite's bound-parameter limit)

# Rasa's SQLTrackerStore table, only the columns the purge reads (no import of Rasa here)
EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                  sa.column("timestamp"))


@dataclass(frozen=True)
class PurgeCounts:
    """What a purge deleted (or, in a dry run, would delete)."""

    conversations: int = 0
    events: int = 0
    turns: int = 0
    tickets: int = 0
    feedback: int = 0
    kept_paused: int = 0  # old conversations kept because they are paused or have an open ticket

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


def _chunks(items: list[str], size: int = BATCH) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _naive_on_sqlite(engine: Engine, moment: datetime) -> datetime:
    """SQLite keeps these times in UTC without the offset."""
    return moment.replace(tzinfo=None) if engine.dialect.name == "sqlite" else moment


def open_ticket_senders(session: Session) -> set[str]:
    return set(session.execute(sa.select(HandoffTicket.sender_id).where(HandoffTicket.status == "open")).scalars())


def paused_senders(conn: Connection) -> set[str]:
    """Senders whose latest pause/resume event is a pause (the bot is handed over to staff)."""
    pause = sa.func.max(sa.case((EVENTS.c.type_name == "pause", EVENTS.c.id), else_=None))
    resume = sa.func.max(sa.case((EVENTS.c.type_name == "resume", EVENTS.c.id), else_=None))
    rows = conn.execute(sa.select(EVENTS.c.sender_id, pause, resume)
                        .where(EVENTS.c.type_name.in_(("pause", "resume")))
                        .group_by(EVENTS.c.sender_id))
    return {sender for sender, p, r in rows if p is not None and (r is None or p > r)}


def _old_conversations(conn: Connection, cutoff: float) -> list[str]:
    return list(conn.execute(sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
                             .having(sa.func.max(EVENTS.c.timestamp) < cutoff)).scalars())


def _purge_tracker(engine: Engine, cutoff: float, protected: set[str], dry_run: bool,
                   tz: Optional[str], now: float) -> tuple[int, int, int, int]:
    """(conversations, events, turns, kept) in the tracker database, in one transaction."""
    TurnBase.metadata.create_all(engine)
    has_events = sa.inspect(engine).has_table("events")
    turns = ConversationTurn.__table__
    conversations = events = deleted_turns = 0
    kept: set[str] = set()
    # today and yesterday are counted live by the dashboard: their summary rows stay
    live_from = local_day(now - 86400, tz)
    old_turns = sa.and_(turns.c.timestamp < cutoff, turns.c.day < live_from)
    if not dry_run:  # count the days before their messages go (committed on its own: counts of finished days)
        with Session(bind=engine) as session, session.begin():
            rolled_up(session, sorted(session.execute(sa.select(turns.c.day).where(old_turns).distinct()).scalars()))
    with engine.begin() as conn:
        senders: list[str] = []
        if has_events:
            old = _old_conversations(conn, cutoff)
            protected = protected | paused_senders(conn)
            kept = {s for s in old if s in protected}
            senders = [s for s in old if s not in protected]
        if protected:
            old_turns = sa.and_(old_turns, turns.c.sender_id.notin_(sorted(protected)))
        for batch in _chunks(senders):
            # a conversation that got a new message since the first look is not old any more
            fresh = sa.select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.in_(batch), EVENTS.c.timestamp >= cutoff)
            doomed = sa.and_(EVENTS.c.sender_id.in_(batch), EVENTS.c.sender_id.notin_(fresh))
            if dry_run:
                events += conn.execute(sa.select(sa.func.count()).select_from(EVENTS).where(doomed)).scalar() or 0
                conversations += conn.execute(sa.select(sa.func.count(sa.distinct(EVENTS.c.sender_id)))
                                              .where(doomed)).scalar() or 0
            else:
                conversations += len(set(conn.execute(sa.select(EVENTS.c.sender_id).where(doomed).distinct())
                                         .scalars()))
                events += conn.execute(sa.delete(EVENTS).where(doomed)).rowcount or 0
        if dry_run:
            deleted_turns = conn.execute(sa.select(sa.func.count()).select_from(turns).where(old_turns)).scalar() or 0
        else:
            deleted_turns = conn.execute(sa.delete(turns).where(old_turns)).rowcount or 0
    return conversations, events, deleted_turns, len(kept)


def purge(kb_engine: Engine, tracker_engine: Engine, days: int, *, dry_run: bool = False,
          now: Optional[datetime] = None, tz: Optional[str] = None) -> PurgeCounts:
    """Deletes what is older than ``days`` days (see the module's docstring); counts only if
    ``dry_run``. ``days`` must be at least 1."""
    if days < 1:
        raise ValueError("retention needs at least 1 day")
    from service_desk.store import ensure_schema

    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    ensure_schema(kb_engine)
    with Session(bind=kb_engine) as session:
        protected = open_ticket_senders(session)
    conversations, events, turns, kept = _purge_tracker(tracker_engine, cutoff.timestamp(), protected, dry_run,
                                                        tz, now.timestamp())
    cut = _naive_on_sqlite(kb_engine, cutoff)
    closed = sa.and_(HandoffTicket.status != "open",
                     sa.func.coalesce(HandoffTicket.closed_at, HandoffTicket.created_at) < cut)
    old_feedback = Feedback.created_at < cut
    with Session(bind=kb_engine) as session, session.begin():
        if dry_run:
            tickets = session.execute(sa.select(sa.func.count(HandoffTicket.id)).where(closed)).scalar() or 0
            feedback = session.execute(sa.select(sa.func.count(Feedback.id)).where(old_feedback)).scalar() or 0
        else:
            tickets = session.execute(sa.delete(HandoffTicket).where(closed)
                                      .execution_options(synchronize_session=False)).rowcount or 0
            feedback = session.execute(sa.delete(Feedback).where(old_feedback)
                                       .execution_options(synchronize_session=False)).rowcount or 0
    return PurgeCounts(conversations=conversations, events=events, turns=turns, tickets=tickets,
                       feedback=feedback, kept_paused=kept)
