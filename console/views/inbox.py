"""The unanswered inbox: refused, fallback and handed-over messages and answers rated 👎,
grouped by similar wording and ranked by priority (volume × recency × (1 + negatives)).
Each group can become an FAQ, an alias of a service, or be dismissed (and un-dismissed)."""
from __future__ import annotations

import asyncio
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from console import content as fields
from console.inbox import InboxItem, as_group, explain, group_items, suggested_alias, suggested_faq
from console.models import InboxDismissal, as_utc
from console.views.content import _editor
from console.web import audit, db, flash, lang_of, posted, redirect, render, requires
from knowledge_base import repository
from knowledge_base.loader import ValidationFailed
from service_desk.models import ConversationTurn, Feedback

WINDOW_DAYS = 30
UNANSWERED = ("refused", "fallback", "handoff")
MAX_GROUPS = 50


def _dismissed(session) -> set[int]:
    return set(session.execute(select(InboxDismissal.turn_id)).scalars())


def _thumbs_down(session, since: datetime) -> list[tuple[str, float]]:
    rows = session.execute(select(Feedback.sender_id, Feedback.created_at).where(
        Feedback.rating == "down", Feedback.created_at >= since).order_by(Feedback.id.desc()).limit(2000))
    return [(s, as_utc(c).timestamp()) for s, c in rows]


def _items(session, since: float, down: list[tuple[str, float]], skip: set[int]) -> list[InboxItem]:
    rows = session.execute(select(ConversationTurn).where(
        ConversationTurn.timestamp >= since, ConversationTurn.outcome.in_(UNANSWERED))
        .order_by(ConversationTurn.timestamp.desc()).limit(5000)).scalars()
    items = [InboxItem(r.id, r.sender_id, r.timestamp, r.language, r.text, r.outcome, r.service)
             for r in rows if r.id not in skip]
    for sender, at in down:  # the question whose answer got the 👎
        r = session.execute(select(ConversationTurn).where(
            ConversationTurn.sender_id == sender, ConversationTurn.timestamp <= at + 1,
            ConversationTurn.outcome == "answered").order_by(ConversationTurn.timestamp.desc()).limit(1)
        ).scalars().first()
        if r is not None and r.id not in skip:
            items.append(InboxItem(r.id, r.sender_id, r.timestamp, r.language, r.text, "thumbs_down", r.service))
    return items


async def _load_items(request: web.Request, turn_ids: list[int] | None = None) -> list[InboxItem]:
    now = time.time()
    since = now - WINDOW_DAYS * 86400
    skip = await db(request, _dismissed) if turn_ids is None else set()
    down = await db(request, lambda s: _thumbs_down(s, datetime.now(timezone.utc) - timedelta(days=WINDOW_DAYS)))
    items = await db(request, lambda s: _items(s, since, down, skip), engine="conv")
    if turn_ids is not None:
        wanted = set(turn_ids)
        items = [i for i in items if i.turn_id in wanted]
    return items


def _turn_ids(data) -> list[int]:
    ids = []
    for value in data.getall("turn", []):
        if isinstance(value, str) and value.isdigit():
            ids.append(int(value))
    return ids[:5000]


@requires("editor")
async def inbox(request: web.Request) -> web.Response:
    now = time.time()
    items = await _load_items(request)
    groups = (await asyncio.to_thread(group_items, items, now=now))[:MAX_GROUPS]  # jieba: off the loop
    services = await db(request, lambda s: [(x.id, x.name.get(lang_of(request)))
                                            for x in repository.list_services(s)])
    view = [{"group": g, "why": explain(g), "alias": suggested_alias(g)} for g in groups]
    return await render(request, "inbox.html", {"groups": view, "services": services, "total": len(items),
                                                "service_names": dict(services)})


async def _group_of(request: web.Request, data):
    items = await _load_items(request, _turn_ids(data))
    if not items:
        raise redirect(request, "inbox")
    return as_group(items, now=time.time())


@requires("editor")
async def faq_draft(request: web.Request) -> web.Response:
    """Opens the FAQ editor prefilled from a group (nothing is saved until staff save it)."""
    _, data = await posted(request)
    group = await _group_of(request, data)
    draft = suggested_faq(group)
    values = fields.form_values("faq", {**draft, "service": draft.get("service")})
    return await _editor(request, "faq", values, record_id=None)


@requires("editor")
async def add_alias(request: web.Request) -> web.Response:
    """Adds the wording as an alias of a service (a revision like any edit), then clears the group."""
    _, data = await posted(request)
    ids = _turn_ids(data)
    service_id = str(data.get("service") or "")
    language = "en" if data.get("language") == "en" else "zh"
    alias = str(data.get("alias") or "").strip()[:100]
    user = request["user"].username
    if not alias or not service_id:
        await flash(request, "alias_missing", kind="error")
        raise redirect(request, "inbox")

    def work(session) -> bool:
        record = repository.export_record(session, "service", service_id)
        if record is None:
            return False
        if alias not in record["aliases"][language]:
            record["aliases"][language].append(alias)
            repository.upsert(session, "service", record, user, comment="inbox alias")
        batch = _dismiss(session, ids, user)
        audit(session, request, "inbox_alias", f"service:{service_id}", f"{language}: {alias} ({batch})")
        return True

    try:
        ok = await db(request, work)
    except ValidationFailed as exc:
        await flash(request, "alias_refused", kind="error",
                    reason="; ".join(fields.translate_message(i.message, lang_of(request)) for i in exc.issues))
        raise redirect(request, "inbox")
    await flash(request, "alias_added" if ok else "alias_missing", kind="ok" if ok else "error",
                alias=alias, service=service_id)
    raise redirect(request, "inbox")


def _dismiss(session, ids: list[int], user: str) -> str:
    batch = secrets.token_hex(6)
    existing = set(session.execute(select(InboxDismissal.turn_id).where(InboxDismissal.turn_id.in_(ids))).scalars())
    for turn_id in ids:
        if turn_id not in existing:
            try:
                with session.begin_nested():  # dismissed by someone else at the same moment: fine
                    session.add(InboxDismissal(turn_id=turn_id, dismissed_by=user, batch=batch))
            except IntegrityError:
                pass
    return batch


@requires("editor")
async def dismiss(request: web.Request) -> web.Response:
    _, data = await posted(request)
    ids = _turn_ids(data)
    user = request["user"].username

    def work(session) -> str:
        batch = _dismiss(session, ids, user)
        audit(session, request, "inbox_dismiss", f"batch:{batch}", f"{len(ids)} messages")
        return batch

    batch = await db(request, work)
    await flash(request, "dismissed", kind="undo", batch=batch, count=len(ids))
    raise redirect(request, "inbox")


@requires("editor")
async def undo(request: web.Request) -> web.Response:
    await posted(request)
    batch = request.match_info["batch"]

    def work(session) -> int:
        n = session.execute(delete(InboxDismissal).where(InboxDismissal.batch == batch)).rowcount
        audit(session, request, "inbox_undo", f"batch:{batch}", f"{n} messages")
        return n

    count = await db(request, work)
    await flash(request, "undismissed", count=count)
    raise redirect(request, "inbox")


def add_routes(router: Any) -> None:
    router.add_get("/inbox/", inbox, name="inbox")
    router.add_post("/inbox/faq", faq_draft, name="inbox_faq")
    router.add_post("/inbox/alias", add_alias, name="inbox_alias")
    router.add_post("/inbox/dismiss", dismiss, name="inbox_dismiss")
    router.add_post("/inbox/undo/{batch:[0-9a-f]{12}}", undo, name="inbox_undo")
