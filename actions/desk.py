"""Access to the service-desk tables (tickets, feedback) from actions."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm import Session

from knowledge_base import db


@contextmanager
def desk_session() -> Iterator[Session]:
    """A committed-on-success session on the configured database, tables ensured."""
    from service_desk.store import ensure_schema

    engine = db.get_engine()
    ensure_schema(engine)
    with db.session_scope(engine) as session:
        yield session


def channel_of(tracker) -> str:
    return (tracker.latest_message or {}).get("input_channel") or tracker.get_latest_input_channel() or "rest"
