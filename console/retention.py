"""The daily retention purge in the page/console server (off when RETENTION_DAYS is 0), each
run recorded in the audit log with what it deleted. Besides service_desk/retention.py's purge it
removes the console's own rows that quote or belong to purged conversations: staff replies and
claims of deleted tickets, and hot-topic alerts (their sample messages) older than the cut-off."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.orm import Session

from console.audit import record
from console.models import HandoffClaim, HandoffReply, HotTopicAlert
from service_desk.models import HandoffTicket
from service_desk.retention import PurgeCounts, purge

logger = logging.getLogger(__name__)
AUDIT_USER = "system"


def purge_console_rows(session: Session, cutoff: datetime) -> dict[str, int]:
    """Staff replies and claims of tickets that are gone, and alerts raised before ``cutoff``."""
    if session.get_bind().dialect.name == "sqlite":  # stored without the offset, in UTC
        cutoff = cutoff.replace(tzinfo=None)
    tickets = sa.select(HandoffTicket.id)
    done = {}
    for name, statement in (
            ("replies", sa.delete(HandoffReply).where(HandoffReply.ticket_id.notin_(tickets))),
            ("claims", sa.delete(HandoffClaim).where(HandoffClaim.ticket_id.notin_(tickets))),
            ("alerts", sa.delete(HotTopicAlert).where(HotTopicAlert.raised_at < cutoff))):
        done[name] = session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0
    return done


def run_once(app: web.Application) -> PurgeCounts:
    """One purge over the console's two databases, audited."""
    settings = app["settings"]
    now = datetime.now(timezone.utc)
    counts = purge(app["kb_engine"], app["conv_engine"], settings.retention_days, now=now, tz=settings.timezone)
    with app["kb_sessions"]() as session:
        console_rows = purge_console_rows(session, now - timedelta(days=settings.retention_days))
        detail = " ".join([counts.summary(), *(f"{k}={v}" for k, v in console_rows.items())])
        record(session, AUDIT_USER, "retention_purge", target=f"{settings.retention_days} days", detail=detail)
        session.commit()
    logger.info("retention purge, older than %s days: %s", settings.retention_days, detail)
    return counts


async def run_periodically(app: web.Application) -> None:
    """Every ``retention_interval`` seconds (a day), the first run a minute after start."""
    await asyncio.sleep(min(60.0, app["retention_interval"]))
    while True:
        try:
            await asyncio.to_thread(run_once, app)
        except asyncio.CancelledError:
            raise
        except Exception:  # the next run tries again; the console keeps working
            logger.exception("retention purge failed")
        await asyncio.sleep(app["retention_interval"])
