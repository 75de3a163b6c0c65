"""The dashboard (charts of what citizens ask and how it went) and the hot-topic alerts."""
from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Any

from aiohttp import web

from console import alerts as alert_store
from console.analytics import Filters, channels_seen, conversation_stats, desk_stats
from console.i18n import texts, translate
from console.models import HotTopicAlert
from console.web import audit, db, lang_of, posted, redirect, render, requires
from knowledge_base import repository


def _today(request: web.Request) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(request.app["settings"].timezone)).date()


def _service_names(session, lang: str) -> dict[str, str]:
    return {s.id: s.name.get(lang) for s in repository.list_services(session)}


async def stats(request: web.Request) -> web.Response:
    """JSON for the charts: ``?from=&to=&channel=``."""
    filters = Filters.parse(dict(request.query), _today(request))
    started = time.perf_counter()
    conv = await db(request, lambda s: conversation_stats(s, filters, _today(request)), engine="conv")
    desk = await db(request, lambda s: desk_stats(s, filters, request.app["settings"].timezone))
    names = await db(request, lambda s: _service_names(s, lang_of(request)))
    conv["services"] = [(k, names.get(k, k), n) for k, n in conv["services"]]
    return web.json_response({
        "filters": {"from": filters.start.isoformat(), "to": filters.end.isoformat(), "channel": filters.channel},
        **conv, **desk, "elapsed_ms": round((time.perf_counter() - started) * 1000, 1)})


async def dashboard(request: web.Request) -> web.Response:
    filters = Filters.parse(dict(request.query), _today(request))
    channels = await db(request, channels_seen, engine="conv")
    open_alerts = await db(request, lambda s: alert_store.open_alerts(s))
    names = await db(request, lambda s: _service_names(s, lang_of(request)))
    return await render(request, "dashboard.html", {
        "filters": filters, "channels": channels, "alerts": open_alerts, "service_names": names,
        "chart_texts": chart_texts(lang_of(request))})


CHART_TEXT_PREFIXES = ("series_", "language_", "channel_", "outcome_", "aspect_", "no_data")


def chart_texts(lang: str) -> dict[str, str]:
    """The texts the charts show, in the reader's language (the script holds none)."""
    return {k: translate(k, lang) for k in texts() if k.startswith(CHART_TEXT_PREFIXES)}


@requires("editor")
async def run_check(request: web.Request) -> web.Response:
    """Runs the hot-topic check now (it also runs every minute in the background)."""
    await posted(request)
    await alert_store.check(request.app)
    raise redirect(request, "dashboard")


@requires("editor")
async def acknowledge(request: web.Request) -> web.Response:
    await posted(request)
    alert_id = int(request.match_info["id"])

    def ack(session) -> None:
        row = session.get(HotTopicAlert, alert_id)
        if row is not None and row.acknowledged_at is None:
            user = request["user"]
            row.acknowledged_by, row.acknowledged_at = user.username, datetime.now(timezone.utc)
            audit(session, request, "alert_ack", target=f"{row.kind}:{row.key}")

    await db(request, ack)
    raise redirect(request, "dashboard")


def add_routes(router: Any) -> None:
    router.add_get("/", dashboard, name="dashboard")
    router.add_get("/api/stats", stats, name="api_stats")
    router.add_post("/alerts/check", run_check, name="alerts_check")
    router.add_post("/alerts/{id:\\d+}/ack", acknowledge, name="alert_ack")
