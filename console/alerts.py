"""Runs the hot-topic check over stored conversations, keeps alerts, notifies a webhook."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Optional

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.hot_topics import HotTopic, HotTopicConfig, TurnSample, detect, load_config
from console.models import HotTopicAlert
from service_desk.models import ConversationTurn

logger = logging.getLogger(__name__)


def config_for(app: web.Application) -> HotTopicConfig:
    factor = app["settings"].hot_topic_factor
    return load_config(factor=factor if factor > 0 else None)


def recent_turns(session: Session, now: float, config: HotTopicConfig) -> list[TurnSample]:
    """The messages the check needs: the last window and the baseline before it."""
    since = now - config.window_minutes * 60 - config.baseline_hours * 3600
    rows = session.execute(
        select(ConversationTurn.timestamp, ConversationTurn.text, ConversationTurn.service,
               ConversationTurn.sender_id)
        .where(ConversationTurn.timestamp >= since, ConversationTurn.timestamp <= now))
    return [TurnSample(ts, text or "", service, sender) for ts, text, service, sender in rows]


def store_alerts(session: Session, topics: list[HotTopic], now: float,
                 config: HotTopicConfig) -> list[HotTopicAlert]:
    """One row per hot topic; a topic still hot within the same window updates its open alert."""
    out = []
    recent = now - config.window_minutes * 60
    for topic in topics:
        # still hot since the last check (acknowledged or not): the same alert, no new banner or call
        row = session.execute(
            select(HotTopicAlert).where(
                HotTopicAlert.kind == topic.kind, HotTopicAlert.key == topic.key,
                HotTopicAlert.window_end >= recent).order_by(HotTopicAlert.id.desc())
        ).scalars().first()
        if row is None:
            row = HotTopicAlert(kind=topic.kind, key=topic.key)
            session.add(row)
        row.window_end, row.count, row.baseline, row.ratio = now, topic.count, topic.baseline, topic.ratio
        row.samples = list(topic.samples)
        out.append(row)
    session.flush()
    return out


def open_alerts(session: Session, hours: int = 24) -> list[HotTopicAlert]:
    since = datetime.now(timezone.utc) - timedelta(hours=hours)
    return list(session.execute(
        select(HotTopicAlert).where(HotTopicAlert.acknowledged_at.is_(None), HotTopicAlert.raised_at >= since)
        .order_by(HotTopicAlert.ratio.desc())).scalars())


async def notify(url: str, alerts: list[dict], timeout: float) -> bool:
    """POSTs the new alerts as JSON to the configured webhook; False if it failed."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
            async with http.post(url, json={"alerts": alerts}) as resp:
                return resp.status < 400
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        logger.warning("hot-topic webhook failed: %s", exc.__class__.__name__)
        return False


def _as_dict(row: HotTopicAlert) -> dict:
    return {"id": row.id, "kind": row.kind, "key": row.key, "count": row.count, "baseline": row.baseline,
            "ratio": row.ratio, "samples": row.samples}


async def check(app: web.Application, now: Optional[float] = None) -> list[dict]:
    """One run of the check: detect, store, notify new alerts once. Returns the hot topics."""
    now = time.time() if now is None else now
    config = config_for(app)

    def read() -> list[TurnSample]:
        with app["conv_sessions"]() as session:
            return recent_turns(session, now, config)

    turns = await asyncio.to_thread(read)
    topics = await asyncio.to_thread(detect, turns, now=now, config=config)

    def save() -> tuple[list[dict], list[int]]:
        with app["kb_sessions"]() as session:
            rows = store_alerts(session, topics, now, config)
            pending = [r for r in rows if not r.notified]
            session.commit()
            return [_as_dict(r) for r in rows], [r.id for r in pending]

    alerts, pending_ids = await asyncio.to_thread(save)
    url = app["settings"].hot_topic_webhook_url
    if url and pending_ids:
        sent = await notify(url, [a for a in alerts if a["id"] in pending_ids], app["settings"].http_timeout)
        if sent:
            def mark() -> None:
                with app["kb_sessions"]() as session:
                    for row in session.execute(select(HotTopicAlert).where(HotTopicAlert.id.in_(pending_ids))).scalars():
                        row.notified = True
                    session.commit()
            await asyncio.to_thread(mark)
    return alerts


def warm_dashboard(app: web.Application) -> None:
    """Counts finished days for the dashboard ahead of time (see analytics.warm_rollups)."""
    from zoneinfo import ZoneInfo

    from console.analytics import warm_rollups

    today = datetime.now(ZoneInfo(app["settings"].timezone)).date()
    with app["conv_sessions"]() as session:
        warm_rollups(session, today)
        session.commit()


async def run_periodically(app: web.Application) -> None:
    """Every ``alert_interval`` seconds: the hot-topic check, then the dashboard's day counts."""
    while True:
        try:
            await check(app)
            await asyncio.to_thread(warm_dashboard, app)
        except asyncio.CancelledError:
            raise
        except Exception:  # the next run tries again; the console keeps working
            logger.exception("hot-topic check failed")
        await asyncio.sleep(app["alert_interval"])
