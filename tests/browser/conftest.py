"""Fixtures of the browser tests: the real servers, a fake Rasa, headless Chromium (Debian's).

Self-contained on purpose (the shared e2e fixtures live elsewhere):

* ``webchat_stack`` (session): the action server, the Rasa server (with the ``webchat`` channel from
  credentials.yml) and the page server, started on free ports the way scripts/run.sh does, with a
  throw-away knowledge base, tracker store and service desk under a temp directory.
* ``fake_rasa`` (session): a tiny Rasa double on loopback whose replies each test scripts, and that
  can be stopped and restarted on the same port (server restarts).
* ``fake_page_server`` (session): the page server pointed at the fake Rasa.
* ``browser`` / ``new_page``: Chromium from /usr/bin/chromium through Playwright; nothing is downloaded.

Environment overrides: ``WEBCHAT_MODEL`` (a model to use instead of running scripts/train.py),
``WEBCHAT_ENDPOINTS`` (another endpoints file), ``WEBCHAT_START_TIMEOUT`` (seconds, default 300),
``CHROMIUM_PATH`` (default /usr/bin/chromium).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.web_senders import issued_sender

ROOT = Path(__file__).resolve().parents[2]
VENV_PY = ROOT / ".venv" / "bin" / "python"
PY = str(VENV_PY) if VENV_PY.exists() else sys.executable
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
START_TIMEOUT = float(os.environ.get("WEBCHAT_START_TIMEOUT", "300"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read().decode("utf-8")
        return json.loads(body) if body.strip().startswith(("{", "[")) else body


def http_post(url: str, body, timeout: float = 60.0) -> tuple[int, object]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode("ascii")  # \uXXXX escapes
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8") or "null")
    except urllib.error.HTTPError as e:
        raw = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw


# --------------------------------------------------------------------------- server processes
@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict
    log: Path
    proc: subprocess.Popen | None = None

    def start(self) -> Server:
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own process group (start_new_session)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def tail(self, chars: int = 3000) -> str:
        try:
            return f"--- {self.name} ({self.log}) ---\n" + self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def wait_until_up(checks: list[Callable[[], object]], servers: list[Server], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(checks)
    while pending:
        for s in servers:
            if not s.alive():
                raise RuntimeError(f"{s.name} exited early\n" + "\n".join(x.tail() for x in servers))
        try:
            pending[0]()
            pending.pop(0)
            continue
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("servers did not start in time\n" + "\n".join(x.tail() for x in servers))
        time.sleep(0.5)


@dataclass
class Stack:
    rasa_url: str
    action_url: str
    web_url: str
    workdir: Path
    servers: list[Server] = field(default_factory=list)

    def say(self, sender: str, message, metadata: dict | None = None) -> tuple[int, object]:
        body = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        return http_post(f"{self.rasa_url}/webhooks/webchat/webhook", body)

    def tracker(self, sender: str) -> dict:
        return http_get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30)

    def new_sender(self) -> str:
        """A sender id issued by the web chat channel (it takes no other), as the widget gets one."""
        return issued_sender(self.rasa_url)

    def logs(self) -> str:
        return "\n".join(s.tail() for s in self.servers)


def run_checked(cmd: list[str], env: dict) -> str:
    """Runs a setup command; on failure the test error shows the end of its output."""
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return out.stdout


def trained_model() -> str:
    """The model for the current data: scripts/train.py trains only when its inputs changed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return run_checked([PY, str(ROOT / "scripts" / "train.py")], env).strip().splitlines()[-1]


@pytest.fixture(scope="session")
def webchat_stack(tmp_path_factory) -> Iterator[Stack]:
    model = os.environ.get("WEBCHAT_MODEL") or trained_model()
    endpoints = os.environ.get("WEBCHAT_ENDPOINTS", "endpoints.yml")
    work = tmp_path_factory.mktemp("webchat-stack")
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "TF_CPP_MIN_LOG_LEVEL": "2",
           "RASA_TELEMETRY_ENABLED": "false", "GOVASSIST_DATA_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'kb.db'}", "TRACKER_DB": str(work / "tracker.db"),
           "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook", "RASA_URL": rasa_url}
    run_checked([PY, "-m", "knowledge_base", "build"], env)
    servers = [
        Server("actions", [PY, "-m", "service_desk.action_server", "--actions", "actions", "--port", str(action_port)],
               env, work / "actions.log"),
        Server("rasa", [PY, "-m", "rasa", "run", "-m", model, "--enable-api", "--cors", "*",
                        "--port", str(rasa_port), "--endpoints", endpoints,
                        "--credentials", "credentials.yml"], env, work / "rasa.log"),
        Server("web", [PY, "-m", "channels.web.server", "--port", str(web_port), "--rasa-url", rasa_url],
               env, work / "web.log"),
    ]
    stack = Stack(rasa_url, f"http://127.0.0.1:{action_port}", f"http://127.0.0.1:{web_port}", work, servers)
    try:
        for s in servers:
            s.start()
        wait_until_up([lambda: http_get(f"{rasa_url}/status"),
                       lambda: http_get(f"{rasa_url}/webhooks/webchat/"),
                       lambda: http_get(f"http://127.0.0.1:{action_port}/health"),
                       lambda: http_get(f"{stack.web_url}/config.json")], servers, START_TIMEOUT)
        yield stack
    finally:
        for s in reversed(servers):
            s.stop()


# --------------------------------------------------------------------------- a fake Rasa server
class FakeRasa:
    """A loopback Rasa double: ``replies`` maps a message to the JSON list to answer with.

    Like the webchat channel it issues sender ids (``POST /webhooks/webchat/session``; they are kept
    in ``issued``) and refuses a message from any other sender with 403 ``sender_not_issued`` (or
    every message while ``refuse_all`` is set), answers the next ``rate_limit_next`` messages with 429
    ``rate_limited`` (``Retry-After: retry_after``); ``received`` has every message posted, refused or not.
    Also serves ``/embed.html``: a third-party page that embeds the widget with one script tag.
    ``stop()`` / ``start()`` simulate a server restart on the same port (the issued ids stay valid).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[dict] = []
        self.issued: list[str] = []
        self.refuse_all = False
        self.rate_limit_next = 0  # answer this many of the next messages with 429 rate_limited
        self.retry_after = 2
        self.replies: dict = {}
        self.widget_src = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def reply_for(self, message: str) -> list:
        if message in self.replies:
            return self.replies[message]
        return [{"recipient_id": "x", "text": f"echo: {message}"}]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                self.end_headers()
                self.wfile.write(body)

            def do_OPTIONS(self):
                self._send(204, b"")

            def do_GET(self):
                if self.path.startswith("/webhooks/webchat/"):
                    self._send(200, b'{"status": "ok", "paused": false}')
                elif self.path == "/embed.html":
                    page = ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                            "<title>Another site</title></head><body><h1>Some other website</h1>"
                            f"<script src='{fake.widget_src}' data-rasa-url='{fake.url}'></script>"
                            "</body></html>")
                    self._send(200, page.encode(), "text/html; charset=utf-8")
                else:
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path == "/webhooks/webchat/session":
                    sender = f"web-fake{len(fake.issued)}.{uuid.uuid4().hex}"
                    fake.issued.append(sender)
                    self._send(200, json.dumps({"sender": sender}).encode())
                    return
                data = json.loads(raw or b"{}")
                fake.received.append(data)
                if fake.refuse_all or data.get("sender") not in fake.issued:
                    self._send(403, json.dumps({"error": "sender_not_issued",
                                                "detail": {"zh": "会话标识无效。", "en": "Not issued here."}}).encode())
                    return
                if fake.rate_limit_next > 0:
                    fake.rate_limit_next -= 1
                    self.send_response(429)
                    body = json.dumps({"error": "rate_limited", "retry_after": fake.retry_after,
                                       "detail": {"zh": "请稍等。", "en": "Please wait."}}).encode()
                    self.send_header("Retry-After", str(fake.retry_after))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Access-Control-Allow-Origin", "*")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                reply = fake.reply_for(data.get("message", ""))
                self._send(200, json.dumps(reply, ensure_ascii=False).encode())

        return Handler

    def start(self) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture(scope="session")
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture()
def fake(fake_rasa: FakeRasa, fake_page_server: str) -> Iterator[FakeRasa]:
    """The fake Rasa, running, with no scripted replies left from another test."""
    if fake_rasa._server is None:
        fake_rasa.start()
    fake_rasa.replies = {}
    fake_rasa.received.clear()
    fake_rasa.refuse_all = False
    fake_rasa.rate_limit_next = 0
    fake_rasa.retry_after = 2
    fake_rasa.widget_src = f"{fake_page_server}/static/widget.js"
    yield fake_rasa
    if fake_rasa._server is None:
        fake_rasa.start()


@pytest.fixture(scope="session")
def fake_page_server(fake_rasa: FakeRasa, tmp_path_factory) -> Iterator[str]:
    """The page server (demo page + widget) talking to the fake Rasa."""
    port = free_port()
    log = tmp_path_factory.mktemp("webchat-fake") / "web.log"
    cmd = [PY, "-m", "channels.web.server", "--port", str(port), "--rasa-url", fake_rasa.url, "--no-console"]
    server = Server("web", cmd, {**os.environ, "PYTHONPATH": str(ROOT)}, log).start()
    try:
        wait_until_up([lambda: http_get(f"http://127.0.0.1:{port}/config.json")], [server], 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/system_deps.sh "
                    "(apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def new_page(browser, request):
    """``new_page(locale="zh-CN", **context_options)`` → a page in a fresh context (fresh storage)."""
    contexts = []

    def make(locale: str = "zh-CN", **options):
        options.setdefault("viewport", {"width": 1280, "height": 860})
        ctx = browser.new_context(locale=locale, **options)
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors, page.console_errors, page.dialogs = [], [], []
        page.accept_dialogs = False
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("dialog", lambda d: (page.dialogs.append(d.message),
                                     d.accept() if page.accept_dialogs else d.dismiss()))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
