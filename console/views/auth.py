"""Sign in (with lock-out), sign out, and the interface language switch."""
from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from aiohttp_session import get_session, new_session

from console.auth import authenticate
from console.forms import LoginForm
from console.i18n import LANGUAGES
from console.models import StaffUser
from console.web import audit, db, form, posted, render, requires, t


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (no other site, no scheme-relative URL)."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin/"


@requires(None)
async def login_page(request: web.Request) -> web.Response:
    return await render(request, "login.html", {"form": await form(request, LoginForm),
                                                "next": _safe_next(request.query.get("next"))})


@requires(None)
async def login(request: web.Request) -> web.Response:
    f, data = await posted(request, LoginForm)
    target = _safe_next(data.get("next"))
    if f.errors:
        return await render(request, "login.html", {"form": f, "next": target}, status=400)
    settings = request.app["settings"]
    username = f.username.data or ""

    def check(session):
        result = authenticate(session, username, f.password.data or "",
                              max_failures=settings.login_max_failures,
                              lockout_minutes=settings.login_lockout_minutes)
        action = {"ok": "login", "locked": "login_locked"}.get(result.reason, "login_failed")
        audit(session, request, action, target=username, detail=result.reason, username=username)
        if result.reason != "ok":
            return result.reason, None
        u = result.user
        return "ok", (u.id, u.session_epoch or 0)

    reason, who = await db(request, check)
    if reason != "ok":
        key = "login_locked" if reason == "locked" else "login_failed"
        return await render(request, "login.html", {"form": f, "next": target, "error": t(request, key)},
                            status=403 if reason == "locked" else 401)
    lang = (await get_session(request)).get("lang")
    session = await new_session(request)  # a fresh session id: no fixation
    session["uid"], session["epoch"] = who
    session["login_at"] = int(time.time())
    if lang:
        session["lang"] = lang
    raise web.HTTPFound(target)


async def logout(request: web.Request) -> web.Response:
    await posted(request)
    user = request.get("user")
    if user is not None:
        def out(s) -> None:
            row = s.get(StaffUser, user.id)
            row.session_epoch = (row.session_epoch or 0) + 1  # a copied cookie stops working too
            audit(s, request, "logout", target=user.username)

        await db(request, out)
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPFound(str(request.app.router["login"].url_for()))


@requires(None)
async def switch_language(request: web.Request) -> web.Response:
    lang = request.match_info["lang"]
    if lang in LANGUAGES:
        session = await get_session(request)
        session["lang"] = lang
    raise web.HTTPFound(_safe_next(request.query.get("next")))


def add_routes(router: Any) -> None:
    router.add_get("/login", login_page, name="login")
    router.add_post("/login", login)
    router.add_post("/logout", logout, name="logout")
    router.add_get("/lang/{lang}", switch_language, name="lang")
