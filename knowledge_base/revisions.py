"""Change history: one revision row per create/update/delete of any record.

A revision stores the full record snapshot (for a delete: the record as it was when deleted).
``Revision.id`` is global and monotonic, so its maximum is the content version. Revisions are
append-only and hash-chained (knowledge_base/chain.py); ``verify`` checks the chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import chain
from .models import KbMeta, Revision, utcnow

ACTIONS = ("create", "update", "delete", "restore")


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
    """Append a revision for one record (number = previous number + 1), linked into the chain."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    head = _lock_head(session)
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
    rev.prev_hash = _chain_end(session, rev.id)
    rev.hash = chain.revision_hash(_fields(rev), rev.prev_hash)
    head.value = chain.format_head(rev.id, rev.hash)
    head.updated_at = utcnow()
    session.flush()
    return _info(rev)


def _lock_head(session: Session) -> KbMeta:
    """The chain's head row, write-locked first so that concurrent writers chain one after the
    other (a row lock on PostgreSQL, the database write lock on SQLite)."""
    session.execute(update(KbMeta).where(KbMeta.key == chain.HEAD_KEY).values(updated_at=utcnow()))
    head = session.get(KbMeta, chain.HEAD_KEY, populate_existing=True)
    if head is None:
        head = KbMeta(key=chain.HEAD_KEY, value=None, updated_at=utcnow())
        session.add(head)
    return head


def _chain_end(session: Session, new_id: int) -> str:
    """Hash of the newest revision before ``new_id`` (the genesis value for the first)."""
    previous = session.execute(
        select(Revision.hash).where(Revision.id < new_id).order_by(Revision.id.desc()).limit(1)
    ).scalar()
    return previous or chain.GENESIS


def _fields(rev: Revision) -> dict:
    return {
        "id": rev.id, "entity_type": rev.entity_type, "entity_id": rev.entity_id, "number": rev.number,
        "action": rev.action, "snapshot": rev.snapshot, "changed_by": rev.changed_by,
        "changed_at": rev.changed_at, "comment": rev.comment, "prev_hash": rev.prev_hash, "hash": rev.hash,
    }


def verify(session: Session) -> tuple[int, list[chain.ChainProblem]]:
    """Check every stored revision against the hash chain and the recorded head."""
    rows = (_fields(r) for r in session.execute(select(Revision).order_by(Revision.id)).scalars())
    head = session.get(KbMeta, chain.HEAD_KEY)
    return chain.verify_rows(rows, head.value if head else None)


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


def stored_hashes(session: Session) -> dict[int, str | None]:
    """Revision id → stored chain hash (to compare with a backup's)."""
    return dict(session.execute(select(Revision.id, Revision.hash)).all())
