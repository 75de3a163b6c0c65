"""Admin only: staff accounts (create, role, deactivate, reset password) and the audit log."""
from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from console import audit as audit_log
from console.auth import AccountError, create_user, set_password
from console.forms import UserCreateForm, UserUpdateForm
from console.models import StaffUser
from console.web import audit, db, flash, form, posted, redirect, render, requires, t


@requires("admin")
async def users(request: web.Request) -> web.Response:
    rows = await db(request, lambda s: s.execute(select(StaffUser).order_by(StaffUser.username)).scalars().all())
    return await render(request, "users.html", {"users": rows, "create_form": await form(request, UserCreateForm),
                                                "update_form": await form(request, UserUpdateForm)})


@requires("admin")
async def create(request: web.Request) -> web.Response:
    f, _ = await posted(request, UserCreateForm)
    if f.errors:
        await flash(request, "user_invalid", kind="error", reason=t(request, "user_form_invalid"))
        raise redirect(request, "users")

    def work(session) -> None:
        create_user(session, f.username.data, f.password.data, f.role.data, f.display_name.data or "")
        audit(session, request, "user_create", f.username.data, f"role {f.role.data}")

    try:
        await db(request, work)
    except AccountError as exc:
        await flash(request, "user_invalid", kind="error", reason=t(request, "account_" + exc.code))
        raise redirect(request, "users")
    await flash(request, "user_created", user=f.username.data)
    raise redirect(request, "users")


@requires("admin")
async def update(request: web.Request) -> web.Response:
    f, _ = await posted(request, UserUpdateForm)
    uid = int(request.match_info["id"])
    me = request["user"]
    if f.errors:
        await flash(request, "user_invalid", kind="error", reason=t(request, "form_has_errors"))
        raise redirect(request, "users")

    def work(session) -> str:
        user = session.get(StaffUser, uid)
        if user is None:
            raise web.HTTPNotFound()
        if user.id == me.id and (f.role.data != "admin" or f.active.data != "1"):
            raise AccountError("cannot_demote_self")
        changes = []
        if f.role.data != user.role:
            changes.append(f"role {user.role} -> {f.role.data}")
            user.role = f.role.data
        active = f.active.data == "1"
        if active != user.active:
            changes.append("activated" if active else "deactivated")
            user.active = active
        if f.password.data:
            set_password(user, f.password.data)
            changes.append("password reset")
        if changes:
            audit(session, request, "user_update", user.username, "; ".join(changes))
        return user.username

    try:
        name = await db(request, work)
    except AccountError as exc:
        await flash(request, "user_invalid", kind="error", reason=t(request, "account_" + exc.code))
        raise redirect(request, "users")
    await flash(request, "user_updated", user=name)
    raise redirect(request, "users")


def _filters(request: web.Request) -> dict:
    return {"action": request.query.get("action") or None, "username": request.query.get("user") or None}


@requires("admin")
async def audit_page(request: web.Request) -> web.Response:
    filters = _filters(request)
    rows = await db(request, lambda s: audit_log.entries(s, **filters))
    return await render(request, "audit.html", {"rows": rows, "actions": audit_log.ACTIONS, **filters})


@requires("admin")
async def audit_csv(request: web.Request) -> web.Response:
    filters = _filters(request)
    text = await db(request, lambda s: audit_log.to_csv(audit_log.entries(s, limit=100000, **filters)))
    return web.Response(text="\ufeff" + text, content_type="text/csv", charset="utf-8",  # BOM: Excel reads UTF-8
                        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


def add_routes(router: Any) -> None:
    router.add_get("/users/", users, name="users")
    router.add_post("/users/", create)
    router.add_post("/users/{id:\\d+}", update, name="user_update")
    router.add_get("/audit/", audit_page, name="audit")
    router.add_get("/audit.csv", audit_csv, name="audit_csv")
