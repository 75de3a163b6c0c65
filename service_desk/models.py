"""Tables for handoff tickets and feedback (same database as the knowledge base)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class HandoffTicket(Base):
    """A conversation passed to staff; the bot stays paused for it until the ticket is closed."""

    __tablename__ = "handoff_tickets"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False, default="rest")
    language = Column(String(8), nullable=False, default="zh")
    reason = Column(String(32), nullable=False, default="requested")
    service = Column(String(64))
    status = Column(String(16), nullable=False, default="open", index=True)
    transcript = Column(JSON, nullable=False, default=list)
    created_at = Column(DateTime(timezone=True), nullable=False, default=_utcnow)
    closed_at = Column(DateTime(timezone=True))
    closed_by = Column(String(128))


class Feedback(Base):
    """A citizen's rating of an answer (👍/👎) and, after 👎, what was missing."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False, default="rest")
    language = Column(String(8), nullable=False, default="zh")
    service = Column(String(64))
    aspect = Column(String(32))
    rating = Column(String(8))
    comment = Column(Text)
    created_at = Column(DateTime(timezone=True), nullable=False, default=_utcnow)
