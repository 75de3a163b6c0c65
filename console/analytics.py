"""Dashboard figures from the conversation summary, feedback and tickets (a few GROUP BYs)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service_desk.models import ConversationTurn, Feedback, HandoffTicket, TurnRollup
from service_desk.rollups import DIMS, count_day
from service_desk.rollups import rolled_up as _rolled_up

TOP = 10
MAX_DAYS = 366


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    channel: Optional[str] = None

    @classmethod
    def parse(cls, query: dict, today: date, default_days: int = 30) -> "Filters":
        """From ``?from=YYYY-MM-DD&to=YYYY-MM-DD&channel=...``; bad values fall back to defaults."""
        def day(key: str, fallback: date) -> date:
            try:
                return date.fromisoformat(str(query.get(key) or ""))
            except ValueError:
                return fallback

        end = min(day("to", today), today)
        start = day("from", end - timedelta(days=default_days - 1))
        if start > end:
            start, end = end, start
        start = max(start, end - timedelta(days=MAX_DAYS - 1))  # bounded work per request
        channel = (query.get("channel") or "").strip() or None
        return cls(start, end, channel[:64] if channel else None)


LIVE_DAYS = 2  # today and yesterday are counted from the messages on every request


def _days(filters: Filters) -> list[str]:
    return [(filters.start + timedelta(days=i)).isoformat() for i in range((filters.end - filters.start).days + 1)]


def conversation_stats(session: Session, filters: Filters, today: Optional[date] = None) -> dict:
    """Figures from the conversation summary (the tracker store's database)."""
    today = today or filters.end
    days = _days(filters)
    live_from = (today - timedelta(days=LIVE_DAYS - 1)).isoformat()
    rows = _rolled_up(session, [d for d in days if d < live_from])
    for day in days:
        if day >= live_from:
            rows += count_day(session, day)
    if filters.channel:
        rows = [r for r in rows if r["channel"] == filters.channel]
    per_day: dict[str, list[int]] = {d: [0, 0] for d in days}
    dims: dict[str, Counter] = {d: Counter() for d in (*DIMS, "channel")}
    for r in rows:
        if r["dim"] == "total":
            per_day[r["day"]][0] += r["messages"]
            per_day[r["day"]][1] += r["conversations"]
            if r["channel"]:
                dims["channel"][r["channel"]] += r["messages"]
        else:
            dims[r["dim"]][r["key"]] += r["messages"]
    messages = sum(m for m, _ in per_day.values())
    conversations = sum(c for _, c in per_day.values())
    outcomes = dims["outcome"]
    return {
        "days": days,
        "conversations_per_day": [per_day[d][1] for d in days],
        "messages_per_day": [per_day[d][0] for d in days],
        "conversations": conversations,
        "messages": messages,
        "languages": dims["language"].most_common(),
        "channels": dims["channel"].most_common(),
        "services": dims["service"].most_common(TOP),
        "aspects": dims["aspect"].most_common(TOP),
        "outcomes": outcomes.most_common(),
        "refusal_rate": round(outcomes["refused"] / messages, 4) if messages else 0.0,
        "fallback_rate": round(outcomes["fallback"] / messages, 4) if messages else 0.0,
        "handoff_rate": round(outcomes["handoff"] / conversations, 4) if conversations else 0.0,
    }


def _period(filters: Filters, tz: str) -> tuple[datetime, datetime]:
    """The filter's local days as a UTC range [start, end)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    start = datetime.combine(filters.start, time.min, tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
    return start, end


def desk_stats(session: Session, filters: Filters, tz: str = "Asia/Shanghai") -> dict:
    """Ratings and tickets (the knowledge base's database)."""
    start, end = _period(filters, tz)
    if session.get_bind().dialect.name == "sqlite":  # stored without the offset, in UTC
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    q = select(Feedback.rating, func.count(Feedback.id)).where(
        Feedback.created_at >= start, Feedback.created_at < end, Feedback.rating.isnot(None))
    t = select(HandoffTicket.status, func.count(HandoffTicket.id)).where(
        HandoffTicket.created_at >= start, HandoffTicket.created_at < end)
    if filters.channel:
        q = q.where(Feedback.channel == filters.channel)
        t = t.where(HandoffTicket.channel == filters.channel)
    ratings = {r: int(n) for r, n in session.execute(q.group_by(Feedback.rating))}
    tickets = {s: int(n) for s, n in session.execute(t.group_by(HandoffTicket.status))}
    rated = ratings.get("up", 0) + ratings.get("down", 0)
    return {
        "thumbs_up": ratings.get("up", 0), "thumbs_down": ratings.get("down", 0),
        "thumbs_up_share": round(ratings.get("up", 0) / rated, 4) if rated else None,
        "tickets_open": tickets.get("open", 0), "tickets_closed": tickets.get("closed", 0),
    }


def channels_seen(session: Session) -> list[str]:
    return sorted(c for (c,) in session.execute(select(ConversationTurn.channel).distinct()) if c)


def warm_rollups(session: Session, today: date, days: int = 90) -> int:
    """Counts the finished days of the last ``days`` days that are not counted yet (run in the
    background, so the first dashboard of the day does not wait for it). Returns days counted."""
    live_from = today - timedelta(days=LIVE_DAYS - 1)
    wanted = [(live_from - timedelta(days=i)).isoformat() for i in range(1, days + 1)]
    done = set(session.execute(select(TurnRollup.day).where(TurnRollup.day.in_(wanted)).distinct()).scalars())
    _rolled_up(session, wanted)
    return len(set(wanted) - done)
