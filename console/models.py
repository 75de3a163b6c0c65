"""Console tables (in the knowledge base's database): staff users, audit log, alerts, dismissals."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, String, Text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from service_desk.store import ensure_tables

Base = declarative_base()
ROLES = ("viewer", "editor", "admin")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite gives it back without the offset)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class StaffUser(Base):
    """A console account; ``password_hash`` is argon2id, never the password."""

    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(128), nullable=False, default="")
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="viewer")
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = Column(DateTime(timezone=True))
    session_epoch = Column(Integer, nullable=False, default=0)  # bumped: every session of the user ends


class AuditEntry(Base):
    """Who did what, when and from where (logins, edits, reverts, imports, restores, users)."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    username = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False, index=True)
    target = Column(String(255), nullable=False, default="")
    detail = Column(Text, nullable=False, default="")
    ip = Column(String(64), nullable=False, default="")


class HotTopicAlert(Base):
    """A hot topic found by the warning check (舆情监测预警); one row per topic and window."""

    __tablename__ = "hot_topic_alerts"
    id = Column(Integer, primary_key=True)
    raised_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    window_end = Column(Float, nullable=False)
    kind = Column(String(16), nullable=False)
    key = Column(String(128), nullable=False)
    count = Column(Integer, nullable=False)
    baseline = Column(Float, nullable=False)
    ratio = Column(Float, nullable=False)
    samples = Column(JSON, nullable=False, default=list)
    notified = Column(Boolean, nullable=False, default=False)
    acknowledged_by = Column(String(64))
    acknowledged_at = Column(DateTime(timezone=True))


class InboxDismissal(Base):
    """A message staff dismissed from the unanswered inbox (undone by deleting the row)."""

    __tablename__ = "inbox_dismissals"
    turn_id = Column(Integer, primary_key=True)
    dismissed_by = Column(String(64), nullable=False)
    dismissed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    batch = Column(String(32), nullable=False, index=True)


class HandoffClaim(Base):
    """Which staff member answers a handoff ticket (one claim per ticket)."""

    __tablename__ = "handoff_claims"
    ticket_id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False)
    claimed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class HandoffReply(Base):
    """A message staff sent into a handed-over conversation (also in the tracker as a bot event)."""

    __tablename__ = "handoff_replies"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, nullable=False, index=True)
    username = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    sent_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def ensure_schema(engine: Engine) -> None:
    """Creates the console tables if missing (once per engine URL and process)."""
    ensure_tables(engine, Base.metadata)
