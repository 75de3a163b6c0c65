"""The console's daily retention run: deletes what is older than RETENTION_DAYS, writes the counts
to the audit log, and does not run at all when RETENTION_DAYS is 0."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from channels.web.server import make_app
from console import retention
from console.app import install_console
from console.models import AuditEntry, HandoffClaim, HandoffReply, HotTopicAlert
from service_desk.models import Feedback, HandoffTicket

OLD = datetime.now(timezone.utc) - timedelta(days=40)


def _old_rows(kb_sessions) -> None:
    with kb_sessions() as session:
        session.add_all([Feedback(sender_id="f", rating="up", created_at=OLD),
                         Feedback(sender_id="g", rating="up"),
                         HandoffTicket(sender_id="t", status="closed", transcript=[], created_at=OLD, closed_at=OLD),
                         HandoffTicket(sender_id="o", status="open", transcript=[], created_at=OLD)])
        session.flush()
        gone, kept = (session.execute(select(HandoffTicket.id).filter_by(sender_id=s)).scalar() for s in "to")
        session.add_all([HandoffReply(ticket_id=gone, username="ann", text="您好，请到湖滨大厅"),
                         HandoffClaim(ticket_id=gone, username="ann"),
                         HandoffReply(ticket_id=kept, username="ann", text="稍等"),
                         HandoffClaim(ticket_id=kept, username="ann"),
                         HotTopicAlert(raised_at=OLD, window_end=0, kind="service", key="passport_application",
                                       count=9, baseline=1, ratio=9, samples=["护照丢了怎么办"]),
                         HotTopicAlert(window_end=0, kind="service", key="hukou", count=9, baseline=1, ratio=9,
                                       samples=["户口迁移"])])
        session.commit()


def _audit(kb_sessions) -> list[AuditEntry]:
    with kb_sessions() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == "retention_purge")).scalars())


def test_a_run_purges_and_is_audited_with_the_counts(settings, kb_sessions, rasa):
    _old_rows(kb_sessions)
    app = make_app("http://localhost:5005", lambda a: install_console(
        a, replace(settings, retention_days=30), rasa=rasa, alert_interval=0))
    counts = retention.run_once(app)
    assert (counts.tickets, counts.feedback) == (1, 1)
    (entry,) = _audit(kb_sessions)
    assert entry.username == "system" and entry.target == "30 days"
    assert "tickets=1" in entry.detail and "feedback=1" in entry.detail
    assert "replies=1" in entry.detail and "claims=1" in entry.detail and "alerts=1" in entry.detail
    with kb_sessions() as session:
        assert [r.text for r in session.execute(select(HandoffReply)).scalars()] == ["稍等"]
        assert len(session.execute(select(HandoffClaim)).all()) == 1
        assert [a.key for a in session.execute(select(HotTopicAlert)).scalars()] == ["hukou"]
        assert [t.sender_id for t in session.execute(select(HandoffTicket)).scalars()] == ["o"]
        assert [f.sender_id for f in session.execute(select(Feedback)).scalars()] == ["g"]


async def test_the_server_runs_it_in_the_background_unless_it_is_off(settings, kb_sessions, rasa):
    _old_rows(kb_sessions)
    off = make_app("http://localhost:5005", lambda a: install_console(
        a, replace(settings, retention_days=0), rasa=rasa, alert_interval=0, retention_interval=0.01))
    async with TestClient(TestServer(off)):
        await asyncio.sleep(0.3)
        assert "retention_task" not in off and _audit(kb_sessions) == []
    on = make_app("http://localhost:5005", lambda a: install_console(
        a, replace(settings, retention_days=30), rasa=rasa, alert_interval=0, retention_interval=0.05))
    async with TestClient(TestServer(on)):
        for _ in range(100):
            if _audit(kb_sessions):
                break
            await asyncio.sleep(0.05)
        assert _audit(kb_sessions), "no retention run in the background"
    with kb_sessions() as session:
        assert len(list(session.execute(select(HandoffTicket)).scalars())) == 1
