"""What every console view needs: the signed-in user, roles, forms with CSRF, flashes, the
database off the event loop, the audit log and rendering in the reader's language."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy.orm import Session, sessionmaker

from console import audit as audit_log
from console.auth import role_allows
from console.forms import ActionForm, ConsoleForm, make_form
from console.i18n import texts, translate

T = TypeVar("T")
ROLE_ATTR = "console_role"


@dataclass(frozen=True)
class StaffIdentity:
    id: int
    username: str
    display_name: str
    role: str


def requires(role: Optional[str]) -> Callable:
    """Marks a view with the least role it needs (None: no login needed)."""

    def mark(handler: Callable) -> Callable:
        setattr(handler, ROLE_ATTR, role)
        return handler

    return mark


def needed_role(handler: Any) -> Optional[str]:
    return getattr(handler, ROLE_ATTR, "viewer")


def user_of(request: web.Request) -> Optional[StaffIdentity]:
    return request.get("user")


def lang_of(request: web.Request) -> str:
    return request.get("lang", "zh")


def allowed(request: web.Request, role: str) -> bool:
    user = user_of(request)
    return user is not None and role_allows(user.role, role)


def t(request: web.Request, key: str, **params: Any) -> str:
    return translate(key, lang_of(request), **params)


def client_ip(request: web.Request) -> str:
    return request.remote or ""


async def db(request: web.Request, work: Callable[[Session], T], *, engine: str = "kb") -> T:
    """Runs ``work(session)`` in a worker thread in one transaction (committed if it returns)."""
    maker: sessionmaker = request.app[f"{engine}_sessions"]

    def run() -> T:
        with maker() as session:
            try:
                result = work(session)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise

    return await asyncio.to_thread(run)


def audit(session: Session, request: web.Request, action: str, target: str = "", detail: str = "",
          username: Optional[str] = None) -> None:
    user = user_of(request)
    audit_log.record(session, username or (user.username if user else "-"), action, target, detail,
                     client_ip(request))


async def form(request: web.Request, form_class: type[ConsoleForm], data: Any = None,
               **kwargs: Any) -> ConsoleForm:
    session = await get_session(request)
    return make_form(form_class, session, request.app["csrf_secret"], data, **kwargs)


async def posted(request: web.Request, form_class: type[ConsoleForm] = ActionForm,
                 **kwargs: Any) -> tuple[ConsoleForm, Any]:
    """The submitted form, validated (CSRF included); a bad or missing token is a 403."""
    data = await request.post()
    f = await form(request, form_class, data, **kwargs)
    f.validate()
    if "csrf_token" in f.errors:
        raise web.HTTPForbidden(text=t(request, "error_csrf"))
    return f, data


async def flash(request: web.Request, key: str, kind: str = "ok", **params: Any) -> None:
    session = await get_session(request)
    session.setdefault("flash", [])
    session["flash"] = session["flash"][-4:] + [{"kind": kind, "key": key, "params": params}]


def base_context(request: web.Request) -> dict[str, Any]:
    """What every page's template may use: language, user, ``t``, ``can`` and ``url``."""
    lang = lang_of(request)
    user = user_of(request)
    return {
        "lang": lang, "user": user, "path_qs": request.path_qs,
        "t": lambda key, **kw: translate(key, lang, **kw),
        # a code's name when the texts have one ("channel_" + "webchat" → 网页), else the code
        "label": lambda prefix, code: translate(prefix + str(code), lang) if (prefix + str(code)) in texts()
        else code,
        "can": lambda role: user is not None and role_allows(user.role, role),
        "url": lambda route_, **parts: str(request.app.router[route_].url_for(**parts)),
    }


async def render(request: web.Request, template: str, context: dict[str, Any],
                 status: int = 200) -> web.Response:
    session = await get_session(request)
    flashes = session.pop("flash", [])
    ctx = {**base_context(request), "flashes": flashes, "action_form": await form(request, ActionForm),
           **context}
    return aiohttp_jinja2.render_template(template, request, ctx, status=status)


def redirect(request: web.Request, name: str, **parts: str) -> web.HTTPFound:
    return web.HTTPFound(str(request.app.router[name].url_for(**parts)))
