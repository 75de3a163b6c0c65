"""Change history: one revision row per create/update/delete of any record.

A revision stores the full record snapshot (for a delete: the record as it was when deleted).
``Revision.id`` is global and monotonic, so its maximum is the content version.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Revision, utcnow

ACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class RevisionInfo:
    """A read-only view of one revision."""

    id: int
    entity_type: str
    entity_id: str
    number: int
    action: str
    snapshot: dict
    changed_by: str
    changed_at: datetime
    comment: str | None


def _info(rev: Revision) -> RevisionInfo:
    return RevisionInfo(
        rev.id, rev.entity_type, rev.entity_id, rev.number, rev.action, rev.snapshot,
        rev.changed_by, rev.changed_at, rev.comment,
    )


def record(
    session: Session, entity_type: str, entity_id: str, action: str, snapshot: dict, user: str,
    comment: str | None = None,
) -> RevisionInfo:
    """Append a revision for one record (number = previous number + 1)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    last = session.execute(
        select(func.max(Revision.number)).where(
            Revision.entity_type == entity_type, Revision.entity_id == entity_id
        )
    ).scalar()
    rev = Revision(
        entity_type=entity_type, entity_id=entity_id, number=(last or 0) + 1, action=action,
        snapshot=snapshot, changed_by=user, changed_at=utcnow(), comment=comment,
    )
    session.add(rev)
    session.flush()
    return _info(rev)


def history(session: Session, entity_type: str, entity_id: str) -> list[RevisionInfo]:
    """All revisions of one record, oldest first."""
    rows = session.execute(
        select(Revision)
        .where(Revision.entity_type == entity_type, Revision.entity_id == entity_id)
        .order_by(Revision.number)
    ).scalars()
    return [_info(r) for r in rows]


def get_revision(session: Session, entity_type: str, entity_id: str, number: int) -> RevisionInfo | None:
    """One revision of a record, or None."""
    rev = session.execute(
        select(Revision).where(
            Revision.entity_type == entity_type, Revision.entity_id == entity_id, Revision.number == number
        )
    ).scalar_one_or_none()
    return _info(rev) if rev else None


def state_before(session: Session, entity_type: str, entity_id: str, number: int) -> dict | None:
    """The record as it was just before revision ``number`` (None if it did not exist)."""
    prev = get_revision(session, entity_type, entity_id, number - 1) if number > 1 else None
    if prev is None or prev.action == "delete":
        return None
    return prev.snapshot


def entity_types_for(session: Session, entity_id: str) -> list[str]:
    """Entity types that have revisions for ``entity_id`` (to disambiguate colliding ids)."""
    rows = session.execute(
        select(Revision.entity_type).where(Revision.entity_id == entity_id).distinct()
    ).scalars()
    return sorted(rows)


def content_version(session: Session) -> int:
    """The id of the latest revision (0 for an empty knowledge base); grows with every change."""
    return session.execute(select(func.max(Revision.id))).scalar() or 0
