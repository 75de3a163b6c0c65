"""Writes and reads tickets and feedback; personal data is masked before anything is stored."""
from __future__ import annotations

import logging
from typing import Iterable, Optional

from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from service_desk.models import ONE_OPEN_TICKET, Base, Feedback, HandoffTicket
from service_desk.privacy import mask_personal_data

logger = logging.getLogger(__name__)
_ready: set[tuple[str, int]] = set()


def ensure_tables(engine: Engine, metadata: MetaData) -> None:
    """Creates ``metadata``'s tables if missing (once per engine URL, metadata and process)."""
    key = (str(engine.url), id(metadata))
    if key not in _ready:
        metadata.create_all(engine)
        _ready.add(key)


def ensure_schema(engine: Engine) -> None:
    """Creates the service-desk tables if missing (once per engine URL and process)."""
    key = (str(engine.url), id(Base.metadata))
    if key not in _ready:
        ensure_tables(engine, Base.metadata)
        _ensure_one_open_ticket_index(engine)


def _ensure_one_open_ticket_index(engine: Engine) -> None:
    """The one-open-ticket index on a database made before it existed. Two open tickets of one
    conversation already there keep it from being made: logged, and ``open_ticket``'s own check
    still holds."""
    names = {ix["name"] for ix in inspect(engine).get_indexes(HandoffTicket.__tablename__)}
    if ONE_OPEN_TICKET.name in names:
        return
    try:
        ONE_OPEN_TICKET.create(engine)
    except DBAPIError as exc:  # duplicates, or another process made it at the same moment
        if ONE_OPEN_TICKET.name not in {ix["name"] for ix in inspect(engine).get_indexes(HandoffTicket.__tablename__)}:
            logger.warning("one-open-ticket index not created (close the duplicate open tickets): %s",
                           exc.__class__.__name__)


def _masked(turn: dict) -> dict:
    return {**turn, "text": mask_personal_data(turn.get("text") or "")}


def open_ticket(session: Session, *, sender_id: str, channel: str, language: str, reason: str,
                service: Optional[str], transcript: Iterable[dict],
                message: Optional[str] = None) -> tuple[HandoffTicket, bool]:
    """The conversation's handoff ticket and whether it was opened now: a new ticket with a masked
    transcript ([{"who": "user"|"bot", "text": ...}]), or, while one is open for ``sender_id``,
    that one, with only ``message`` (the new request, masked) added to its transcript.

    One open ticket per sender: the open one is read with a row lock, and a concurrent opening
    that loses the race to the unique index joins the winner's ticket."""
    existing = _locked_open_ticket(session, sender_id)
    if existing is None:
        ticket = HandoffTicket(sender_id=sender_id, channel=channel, language=language, reason=reason,
                               service=service, transcript=[_masked(t) for t in transcript])
        try:
            with session.begin_nested():
                session.add(ticket)
                session.flush()
            return ticket, True
        except IntegrityError:  # another request opened one for this sender at the same moment
            existing = _locked_open_ticket(session, sender_id)
            if existing is None:
                raise
    if message:
        turn = _masked({"who": "user", "text": message})
        if (existing.transcript or [])[-1:] != [turn]:
            existing.transcript = [*(existing.transcript or []), turn]
            session.flush()
    return existing, False


def _locked_open_ticket(session: Session, sender_id: str) -> Optional[HandoffTicket]:
    return (session.query(HandoffTicket).filter_by(sender_id=sender_id, status="open")
            .order_by(HandoffTicket.id.desc()).with_for_update().populate_existing().first())


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
