"""The handoff queue: waiting conversations with their masked transcript; claim one, reply into
the same conversation (the citizen gets it on their own channel), close it to give it back to
the bot. The citizen is told when a person joins and when the bot is back."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.forms import ReplyForm
from console.models import HandoffClaim, HandoffReply, as_utc
from console.rasa_client import RasaError
from console.web import audit, db, flash, form, posted, redirect, render, requires
from service_desk.models import HandoffTicket
from service_desk.privacy import mask_personal_data

JOINED, BOT_BACK = "utter_staff_joined", "utter_bot_back"


def _queue(session) -> dict:
    claims = {c.ticket_id: c.username for c in session.execute(select(HandoffClaim)).scalars()}
    open_ = session.execute(select(HandoffTicket).where(HandoffTicket.status == "open")
                            .order_by(HandoffTicket.id)).scalars().all()
    closed = session.execute(select(HandoffTicket).where(HandoffTicket.status != "open")
                             .order_by(HandoffTicket.id.desc()).limit(20)).scalars().all()
    return {"open": open_, "closed": closed, "claims": claims}


@requires("editor")
async def queue(request: web.Request) -> web.Response:
    data = await db(request, _queue)
    return await render(request, "handoffs.html", data)


def _ticket(session, ticket_id: int) -> dict | None:
    t = session.get(HandoffTicket, ticket_id)
    if t is None:
        return None
    claim = session.get(HandoffClaim, ticket_id)
    return {"ticket": t, "claimed_by": claim.username if claim else None}


def _live_turns(tracker: dict, since: float, until: float | None = None) -> list[dict]:
    """Messages after the handoff (and before the ticket was closed), from the stored
    conversation (masked again to be sure)."""
    out = []
    for e in tracker.get("events") or []:
        at = e.get("timestamp") or 0
        if until is not None and at > until:
            break
        if e.get("event") in ("user", "bot") and at >= since and e.get("text"):
            metadata = e.get("metadata") or {}
            who = "user" if e["event"] == "user" else ("staff" if metadata.get("staff") else "bot")
            out.append({"who": who, "text": mask_personal_data(str(e["text"]))[:4000]})
    return out


@requires("editor")
async def ticket_page(request: web.Request) -> web.Response:
    ticket_id = int(request.match_info["id"])
    data = await db(request, lambda s: _ticket(s, ticket_id))
    if data is None:
        raise web.HTTPNotFound()
    live, live_error = [], False
    ticket = data["ticket"]
    until = as_utc(ticket.closed_at).timestamp() if ticket.closed_at else None
    try:
        tracker = await request.app["rasa"].tracker(ticket.sender_id, request["user"].username)
        live = _live_turns(tracker, as_utc(ticket.created_at).timestamp(), until)
    except RasaError:
        live_error = True
    return await render(request, "handoff.html", {**data, "live": live, "live_error": live_error,
                                                  "reply_form": await form(request, ReplyForm)})


async def _open_ticket(request: web.Request) -> HandoffTicket:
    ticket_id = int(request.match_info["id"])
    t = await db(request, lambda s: s.get(HandoffTicket, ticket_id))
    if t is None:
        raise web.HTTPNotFound()
    if t.status != "open":
        await flash(request, "ticket_not_open", kind="error")
        raise redirect(request, "handoff", id=str(ticket_id))
    return t


@requires("editor")
async def claim(request: web.Request) -> web.Response:
    await posted(request)
    t = await _open_ticket(request)
    user = request["user"].username

    def take(session) -> str:
        existing = session.get(HandoffClaim, t.id)
        if existing is not None:
            return existing.username
        session.add(HandoffClaim(ticket_id=t.id, username=user))
        audit(session, request, "handoff_claim", f"ticket:{t.id}")
        return user

    try:
        owner = await db(request, take)
    except IntegrityError:  # someone claimed it at the same moment
        owner = await db(request, lambda s: s.get(HandoffClaim, t.id).username)
    if owner != user:
        await flash(request, "claimed_by_other", kind="error", user=owner)
        raise redirect(request, "handoff", id=str(t.id))
    try:
        await request.app["rasa"].relay(t.sender_id, {"response": JOINED}, user)
    except RasaError:
        await flash(request, "rasa_unreachable", kind="error")
    raise redirect(request, "handoff", id=str(t.id))


async def _must_own(request: web.Request, t: HandoffTicket) -> None:
    user = request["user"]
    owner = await db(request, lambda s: (c.username if (c := s.get(HandoffClaim, t.id)) else None))
    if owner != user.username and user.role != "admin":
        await flash(request, "claim_first", kind="error")
        raise redirect(request, "handoff", id=str(t.id))


@requires("editor")
async def reply(request: web.Request) -> web.Response:
    f, _ = await posted(request, ReplyForm)
    t = await _open_ticket(request)
    await _must_own(request, t)
    text = (f.text.data or "").strip()
    if f.errors or not text:
        await flash(request, "reply_empty", kind="error")
        raise redirect(request, "handoff", id=str(t.id))
    try:
        await request.app["rasa"].relay(t.sender_id, {"text": text}, request["user"].username)
    except RasaError:
        await flash(request, "rasa_unreachable", kind="error")
        raise redirect(request, "handoff", id=str(t.id))
    user = request["user"].username

    def keep(session) -> None:
        session.add(HandoffReply(ticket_id=t.id, username=user, text=mask_personal_data(text)))
        audit(session, request, "handoff_reply", f"ticket:{t.id}", text[:200])

    await db(request, keep)
    await flash(request, "reply_sent")
    raise redirect(request, "handoff", id=str(t.id))


@requires("editor")
async def close(request: web.Request) -> web.Response:
    await posted(request)
    t = await _open_ticket(request)
    await _must_own(request, t)
    rasa = request.app["rasa"]
    staff = request["user"].username
    try:
        await rasa.relay(t.sender_id, {"response": BOT_BACK}, staff)
        await rasa.resume(t.sender_id, staff)
    except RasaError:
        await flash(request, "rasa_unreachable", kind="error")
        raise redirect(request, "handoff", id=str(t.id))
    user = request["user"].username

    def done(session) -> None:
        row = session.get(HandoffTicket, t.id)
        row.status, row.closed_by, row.closed_at = "closed", user, datetime.now(timezone.utc)
        audit(session, request, "handoff_close", f"ticket:{t.id}")

    await db(request, done)
    await flash(request, "ticket_closed", id=t.id)
    raise redirect(request, "handoffs")


def add_routes(router: Any) -> None:
    router.add_get("/handoffs/", queue, name="handoffs")
    router.add_get("/handoffs/{id:\\d+}", ticket_page, name="handoff")
    router.add_post("/handoffs/{id:\\d+}/claim", claim, name="handoff_claim")
    router.add_post("/handoffs/{id:\\d+}/reply", reply, name="handoff_reply")
    router.add_post("/handoffs/{id:\\d+}/close", close, name="handoff_close")
