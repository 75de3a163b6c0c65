"""The console's routes and middlewares, installed at /admin/ into the page server's aiohttp app.

(Not a sub-application: aiohttp 3.9's sub-app routing reads ``request.url``, which the yarl
version Rasa's dependencies bring cannot build for a Host header with a port. Every middleware
here acts only on /admin/ paths.)"""
from __future__ import annotations

import asyncio
import base64
import logging
import time
from pathlib import Path
from typing import Any, Optional

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.settings import Settings
from console import alerts, retention
from console.auth import role_allows
from console.i18n import LANGUAGES, language_from_header, translate
from console.models import StaffUser, ensure_schema
from console.rasa_client import RasaClient
from console.views import admin, auth, backup, content, dashboard, handoffs, inbox
from console.web import StaffIdentity, db, lang_of, needed_role, render
from knowledge_base import db as kb_db
from knowledge_base import keyfile
from service_desk.models import TurnBase
from service_desk.store import ensure_schema as ensure_desk_schema

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_HOURS = 8
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")


def secret_key(settings: Settings) -> bytes:
    """32 bytes for the session cookie's encryption: CONSOLE_SECRET_KEY (base64) or, on one
    machine, a random key kept in the data directory (created on first use, readable by us only)."""
    if settings.console_secret:
        raw = settings.console_secret.encode()
        try:
            key = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise SystemExit("CONSOLE_SECRET_KEY must be 32 bytes, base64-encoded "
                             "(python -c 'import secrets,base64;print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')")
        return key
    try:
        return keyfile.read_or_create(settings.data_dir / "console_secret.key", when_replaced="signs everyone out")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def _sqlite_busy_timeout(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def tracker_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_busy_timeout)
    TurnBase.metadata.create_all(engine)
    return engine


PREFIX = "/admin"


def _ours(request: web.Request) -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


class PrefixedRouter:
    """The page server's router as the console's views see it: every path under /admin."""

    def __init__(self, router: web.UrlDispatcher, prefix: str = PREFIX) -> None:
        self.router, self.prefix = router, prefix

    def add_get(self, path: str, handler: Any, **kwargs: Any) -> Any:
        return self.router.add_get(self.prefix + path, handler, **kwargs)

    def add_post(self, path: str, handler: Any, **kwargs: Any) -> Any:
        return self.router.add_post(self.prefix + path, handler, **kwargs)

    def add_static(self, path: str, directory: Path, **kwargs: Any) -> Any:
        return self.router.add_static(self.prefix + path, directory, **kwargs)

    def __getitem__(self, name: str) -> Any:
        return self.router[name]


@web.middleware
async def error_boundary(request: web.Request, handler: Any) -> web.StreamResponse:
    """The console's one error boundary: a failure is logged and answered in the reader's language."""
    if not _ours(request):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("console: %s %s failed", request.method, request.path)
        lang = lang_of(request)
        return web.Response(status=500, content_type="text/plain", charset="utf-8",
                            text=translate("error_internal", lang))


def _harden(request: web.Request, resp: web.StreamResponse) -> None:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith(PREFIX + "/static/"):
        resp.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Security headers on every console response, redirects and errors included."""
    if not _ours(request):
        return await handler(request)
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        _harden(request, exc)
        raise
    _harden(request, resp)
    return resp


def _load_identity(uid: int, epoch: Any):
    def work(session) -> Optional[StaffIdentity]:
        user = session.get(StaffUser, uid)
        if user is None or not user.active or (user.session_epoch or 0) != epoch:
            return None
        return StaffIdentity(user.id, user.username, user.display_name or user.username, user.role)

    return work


@web.middleware
async def authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
    """Who is signed in, in which language; sends strangers to the login page, refuses roles."""
    if not _ours(request):
        return await handler(request)
    session = await get_session(request)
    request["lang"] = session.get("lang") if session.get("lang") in LANGUAGES else \
        language_from_header(request.headers.get("Accept-Language"))
    if request.path.startswith(PREFIX + "/static/"):
        return await handler(request)
    uid = session.get("uid")
    fresh = time.time() - float(session.get("login_at") or 0) < SESSION_HOURS * 3600  # absolute, not sliding
    user = await db(request, _load_identity(uid, session.get("epoch"))) if isinstance(uid, int) and fresh else None
    if uid is not None and user is None:
        session.invalidate()
    request["user"] = user
    role = needed_role(handler)
    if role is None:
        return await handler(request)
    if user is None:
        login = request.app.router["login"].url_for().with_query(next=request.path_qs)
        if request.path.startswith("/admin/api/"):
            raise web.HTTPUnauthorized()
        raise web.HTTPFound(str(login))
    if not role_allows(user.role, role):
        return await render(request, "forbidden.html", {"needed": role}, status=403)
    return await handler(request)


def install_console(app: web.Application, settings: Settings, *, kb_engine: Optional[Engine] = None,
                    conversations_engine: Optional[Engine] = None,
                    rasa: Optional[RasaClient] = None, alert_interval: float = 60.0,
                    retention_interval: float = 86400.0) -> web.Application:
    """Adds the console at /admin/ to ``app`` (the page server's application)."""
    app.middlewares.extend([security_headers, error_boundary])
    kb = kb_engine or kb_db.get_engine(settings.database_url)
    kb_db.init_db(kb) if not kb_db.is_initialised(kb) else None
    ensure_schema(kb)
    ensure_desk_schema(kb)
    conv = conversations_engine or tracker_engine(settings.tracker_db_url)
    app["settings"] = settings
    app["kb_sessions"] = sessionmaker(bind=kb, expire_on_commit=False)
    app["conv_sessions"] = sessionmaker(bind=conv, expire_on_commit=False)
    app["kb_engine"], app["conv_engine"] = kb, conv
    key = secret_key(settings)
    app["csrf_secret"] = key
    app["rasa"] = rasa or RasaClient(settings.rasa_api_url, settings.rasa_token, settings.http_timeout,
                                     jwt_secret=settings.rasa_jwt_secret)
    setup_sessions(app, EncryptedCookieStorage(
        key, cookie_name="govassist_console", httponly=True, samesite="Strict",
        secure=settings.console_secure_cookies, max_age=SESSION_HOURS * 3600, path="/admin/"))
    app.middlewares.append(authenticate)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    router = PrefixedRouter(app.router)
    router.add_static("/static/", HERE / "static", name="static")
    for module in (auth, dashboard, content, inbox, handoffs, admin, backup):
        module.add_routes(router)
    app["alert_interval"] = alert_interval
    app["retention_interval"] = retention_interval

    async def start_alert_loop(app_: web.Application) -> None:
        if app_["alert_interval"] > 0:
            app_["alert_task"] = asyncio.create_task(alerts.run_periodically(app_))
        if app_["settings"].retention_days > 0 and app_["retention_interval"] > 0:
            app_["retention_task"] = asyncio.create_task(retention.run_periodically(app_))

    async def stop(app_: web.Application) -> None:
        for name in ("alert_task", "retention_task"):
            task = app_.get(name)
            if task is not None:
                task.cancel()
        await app_["rasa"].close()

    app.on_startup.append(start_alert_loop)
    app.on_cleanup.append(stop)
    return app
