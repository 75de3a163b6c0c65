"""The audit log: every login, failed login, edit, revert, import, restore, user change and purge."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import AuditEntry
from service_desk.privacy import mask_personal_data

ACTIONS = ("login", "login_failed", "login_locked", "logout", "edit", "create", "delete", "revert",
           "import", "backup", "restore", "user_create", "user_update", "inbox_dismiss", "inbox_undo",
           "inbox_alias", "handoff_claim", "handoff_reply", "handoff_close", "alert_ack", "retention_purge")


def record(session: Session, username: str, action: str, target: str = "", detail: str = "",
           ip: str = "") -> AuditEntry:
    """Appends one entry (details masked: they may quote citizens)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(username=mask_personal_data(username)[:64], action=action,
                       target=mask_personal_data(target)[:255],
                       detail=mask_personal_data(detail)[:2000], ip=ip[:64])
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, *, action: Optional[str] = None, username: Optional[str] = None,
            since: Optional[datetime] = None, limit: int = 500) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if username:
        query = query.where(AuditEntry.username == username)
    if since:
        query = query.where(AuditEntry.at >= since)
    return list(session.execute(query).scalars())


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "username", "action", "target", "detail", "ip"])
    for r in rows:
        writer.writerow([r.id, r.at.isoformat() if r.at else "", _cell(r.username), r.action,
                         _cell(r.target), _cell(r.detail), r.ip])
    return out.getvalue()
