"""Per-day counts of the conversation summary (``conversation_turns_daily``).

The dashboard reads finished days from here; the retention purge counts a day here before it
deletes that day's summary rows, so the figures outlive the messages. A rollup row holds a day,
a channel, a dimension (total | language | service | aspect | outcome), its key (a language code,
a service id, an aspect or an outcome name) and two counts: no sender, no text.
"""
from __future__ import annotations

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service_desk.models import ConversationTurn, TurnRollup

DIMS = ("language", "service", "aspect", "outcome")


def count_day(session: Session, day: str) -> list[dict]:
    """One day's counts by channel and by each dimension (rows of ``TurnRollup``'s shape)."""
    t = ConversationTurn
    opened = func.sum(cast(t.opens_session, Integer))
    rows = [{"day": day, "channel": c, "dim": "total", "key": "", "messages": int(m), "conversations": int(o or 0)}
            for c, m, o in session.execute(select(t.channel, func.count(t.id), opened)
                                           .where(t.day == day).group_by(t.channel))]
    for dim in DIMS:
        column = getattr(t, dim)
        query = select(t.channel, column, func.count(t.id)).where(t.day == day, column.isnot(None))
        rows += [{"day": day, "channel": c, "dim": dim, "key": str(k)[:64], "messages": int(m), "conversations": 0}
                 for c, k, m in session.execute(query.group_by(t.channel, column))]
    return rows


def rolled_up(session: Session, days: list[str]) -> list[dict]:
    """Counts of finished days from the rollup table, counting (and storing) missing days first."""
    if not days:
        return []
    done = set(session.execute(select(TurnRollup.day).where(TurnRollup.day.in_(days)).distinct()).scalars())
    for day in days:
        if day not in done:
            rows = count_day(session, day) or [
                {"day": day, "channel": "", "dim": "total", "key": "", "messages": 0, "conversations": 0}]
            try:
                with session.begin_nested():  # another process may count the same day at once
                    session.add_all(TurnRollup(**r) for r in rows)
            except IntegrityError:
                pass
    return [{"day": r.day, "channel": r.channel, "dim": r.dim, "key": r.key, "messages": r.messages,
             "conversations": r.conversations}
            for r in session.execute(select(TurnRollup).where(TurnRollup.day.in_(days))).scalars()]
