"""Writes and reads tickets and feedback; personal data is masked before anything is stored."""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from service_desk.models import Base, Feedback, HandoffTicket
from service_desk.privacy import mask_personal_data

_ready: set[tuple[str, int]] = set()


def ensure_tables(engine: Engine, metadata: MetaData) -> None:
    """Creates ``metadata``'s tables if missing (once per engine URL, metadata and process)."""
    key = (str(engine.url), id(metadata))
    if key not in _ready:
        metadata.create_all(engine)
        _ready.add(key)


def ensure_schema(engine: Engine) -> None:
    """Creates the service-desk tables if missing (once per engine URL and process)."""
    ensure_tables(engine, Base.metadata)


def open_ticket(session: Session, *, sender_id: str, channel: str, language: str, reason: str,
                service: Optional[str], transcript: Iterable[dict]) -> HandoffTicket:
    """Opens a handoff ticket with a masked transcript ([{"who": "user"|"bot", "text": ...}])."""
    masked = [{**turn, "text": mask_personal_data(turn.get("text") or "")} for turn in transcript]
    ticket = HandoffTicket(sender_id=sender_id, channel=channel, language=language, reason=reason,
                           service=service, transcript=masked)
    session.add(ticket)
    session.flush()
    return ticket


def open_ticket_for(session: Session, sender_id: str) -> Optional[HandoffTicket]:
    return (session.query(HandoffTicket)
            .filter_by(sender_id=sender_id, status="open").order_by(HandoffTicket.id.desc()).first())


def record_feedback(session: Session, *, sender_id: str, channel: str, language: str,
                    service: Optional[str], aspect: Optional[str], rating: Optional[str],
                    comment: Optional[str] = None) -> Feedback:
    row = Feedback(sender_id=sender_id, channel=channel, language=language, service=service,
                   aspect=aspect, rating=rating, comment=mask_personal_data(comment) if comment else None)
    session.add(row)
    session.flush()
    return row
