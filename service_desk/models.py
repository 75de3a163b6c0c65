"""Tables for handoff tickets and feedback (same database as the knowledge base)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Index, Integer, String, Text, text
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


# At most one open ticket per conversation, enforced by the database (a partial unique index on
# PostgreSQL and SQLite); created with the table, or by ensure_schema on an older database.
ONE_OPEN_TICKET = Index("uq_handoff_tickets_open_sender", HandoffTicket.sender_id, unique=True,
                        postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'"))


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


# The conversation summary lives beside Rasa's events in the tracker store's database (not the
# knowledge base's): the tracker store writes both in one transaction.
TurnBase = declarative_base()


class ConversationTurn(TurnBase):
    """One citizen message and how it ended (see service_desk/turns.py); masked text."""

    __tablename__ = "conversation_turns"
    __table_args__ = (
        Index("ix_conversation_turns_outcome_ts", "outcome", "timestamp"),
        Index("ix_conversation_turns_service_ts", "service", "timestamp"),
    )
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    timestamp = Column(Float, nullable=False, index=True)
    channel = Column(String(64), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    intent = Column(String(64))
    service = Column(String(64))
    aspect = Column(String(32))
    outcome = Column(String(16), nullable=False)
    day = Column(String(10), nullable=False, index=True)  # local calendar day, YYYY-MM-DD
    opens_session = Column(Boolean, nullable=False, default=False)


class TurnRollup(TurnBase):
    """Per-day counts of ``conversation_turns`` for the dashboard (a finished day never changes,
    so it is counted once); ``dim`` is total | language | service | aspect | outcome."""

    __tablename__ = "conversation_turns_daily"
    day = Column(String(10), primary_key=True)
    channel = Column(String(64), primary_key=True)
    dim = Column(String(16), primary_key=True)
    key = Column(String(64), primary_key=True)
    messages = Column(Integer, nullable=False, default=0)
    conversations = Column(Integer, nullable=False, default=0)
