"""Serves the demo city page with the chat widget (static files) on localhost:8080.

``/`` is the demo page of the Jiangzhou city website with the widget open; it talks to the Rasa
server given by ``--rasa-url`` (its ``webchat`` channel). ``/static/widget.js`` and
``/static/widget.css`` are the widget itself: any site embeds it with one tag::

    <script src="https://.../static/widget.js" data-rasa-url="https://rasa.example"></script>
"""
from __future__ import annotations

import argparse
import html
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from aiohttp import web

STATIC = Path(__file__).with_name("static")
RASA_URL_PLACEHOLDER = "{{RASA_URL}}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def make_app(rasa_url: str, install_console: Callable[[web.Application], Any] | None = None
             ) -> web.Application:
    """The page server; ``install_console`` adds the staff console's routes at ``/admin/``."""
    rasa_url = rasa_url.rstrip("/")
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace(
        RASA_URL_PLACEHOLDER, html.escape(rasa_url, quote=True))
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           f"connect-src 'self' {origin_of(rasa_url)}; frame-ancestors 'self'; base-uri 'none'; "
           "form-action 'self'; object-src 'none'").replace("  ", " ")

    async def config(_request: web.Request) -> web.Response:
        return web.json_response({"rasaUrl": rasa_url})

    async def index(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})

    @web.middleware
    async def headers(request: web.Request, handler):
        resp = await handler(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.path.startswith("/static/"):
            # the widget is embedded by other sites: let them load it, but keep it fresh
            resp.headers.setdefault("Cache-Control", "no-cache")
            resp.headers.setdefault("Access-Control-Allow-Origin", "*")
        return resp

    # room for the console's FAQ sheet uploads (5 MB, checked there); the chat goes to Rasa, not here
    app = web.Application(middlewares=[headers], client_max_size=6 * 1024 * 1024)
    app.router.add_get("/", index)
    app.router.add_get("/index.html", index)
    app.router.add_get("/config.json", config)
    app.router.add_static("/static/", STATIC)
    if install_console is not None:
        install_console(app)

        async def to_console(_request: web.Request) -> web.Response:
            raise web.HTTPFound("/admin/")

        app.router.add_get("/admin", to_console)
    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--rasa-url", default="http://localhost:5005")
    ap.add_argument("--no-console", action="store_true", help="serve the page without the staff console")
    a = ap.parse_args()
    installer = None
    if not a.no_console:
        import logging

        from bot.settings import Settings
        from console.app import install_console

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        settings = Settings.from_env()

        def installer(app: web.Application) -> None:
            install_console(app, settings)
    web.run_app(make_app(a.rasa_url, installer), host=a.host, port=a.port, print=None)


if __name__ == "__main__":
    main()
