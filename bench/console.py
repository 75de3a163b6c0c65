"""Staff console figures: edit-to-live through the console's own form, and the dashboard's load
time with 100,000 stored conversations."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from bench.stacks import PY, ROOT, free_port

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "bench password 2026"


class ConsoleClient:
    """A signed-in browser-like client (cookies, CSRF tokens) of a console."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.read().decode("utf-8")

    def post(self, page: str, action: str, data: dict) -> int:
        token = CSRF_RE.search(self.get(page)).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        with self.opener.open(urllib.request.Request(self.base + action, body), timeout=60) as r:
            return r.status

    def login(self, username: str) -> None:
        self.post("/admin/login", "/admin/login", {"username": username, "password": PASSWORD, "next": "/admin/"})


def _create_admin(env: dict) -> str:
    name = f"bench{uuid.uuid4().hex[:6]}"
    subprocess.run([PY, "-m", "console", "create-user", name, "--role", "admin", "--password-stdin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    return name


class PageServer:
    """The page server (with the console) on a free port, for the given environment."""

    def __init__(self, env: dict, rasa_url: str) -> None:
        self.port = free_port()
        self.env = {**env, "PYTHONPATH": str(ROOT)}
        self.rasa_url = rasa_url
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "PageServer":
        log = open(Path(tempfile.gettempdir()) / f"bench-web-{self.port}.log", "w")
        self.proc = subprocess.Popen([PY, "-m", "channels.web.server", "--port", str(self.port),
                                      "--rasa-url", self.rasa_url], cwd=ROOT, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT)
        for _ in range(120):
            try:
                urllib.request.urlopen(self.url + "/config.json", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("page server did not start")

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def edit_to_live(stack) -> float:
    """Seconds from an editor's save of a service's fee in the console's form to the bot's answer
    showing it (no retraining); the edit is then reverted in the console (one click)."""
    from console import content as fields
    from knowledge_base import db, repository, revisions

    env = {**stack.env, "GOVASSIST_DATA_DIR": str(stack.workdir)}
    admin = _create_admin(env)
    url = env["DATABASE_URL"]
    with db.session_scope(url) as s:
        record = repository.export_record(s, "service", "passport_application")
    marker = f"BENCH{uuid.uuid4().hex[:6].upper()}"
    values = fields.form_values("service", record)
    values.update({"fee.zh": f"{marker} 元", "fee.en": f"CNY {marker}"})
    page = "/admin/content/service/passport_application"
    with PageServer(env, stack.url) as web:
        client = ConsoleClient(web.url)
        client.login(admin)
        client.post(page, page, values)
        t0 = time.perf_counter()
        seconds = float("nan")
        for i in range(120):
            body = json.dumps({"sender": f"edit-{i}-{marker}", "message": "办护照要多少钱？"}).encode()
            req = urllib.request.Request(stack.url + "/webhooks/rest/webhook", body, {"Content-Type": "application/json", **stack.rest_headers})
            with urllib.request.urlopen(req, timeout=10) as r:
                if marker in r.read().decode("utf-8"):
                    seconds = time.perf_counter() - t0
                    break
            time.sleep(0.1)
        with db.session_scope(url) as s:
            number = revisions.history(s, "service", "passport_application")[-1].number
        client.post(page, f"{page}/revisions/{number}/revert", {})
    return round(seconds, 2)


def dashboard_load(conversations: int = 100_000) -> dict:
    """Seeds ``conversations`` synthetic conversations and times the dashboard: the page, the first
    figures (which count every finished day once) and the figures again (what staff then see)."""
    work = Path(tempfile.mkdtemp(prefix="bench-console-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GOVASSIST_DATA_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'kb.db'}", "TRACKER_DB": str(work / "tracker.db")}
    env.pop("TRACKER_DB_URL", None)
    subprocess.run([PY, "-m", "knowledge_base", "build"], cwd=ROOT, env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "console.seed", "--conversations", str(conversations), "--days", "30"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    seeded = time.perf_counter() - t0
    admin = _create_admin(env)
    out = {"conversations": conversations, "seed_s": round(seeded, 1)}
    with PageServer(env, "http://127.0.0.1:9") as web:
        client = ConsoleClient(web.url)
        client.login(admin)
        for key, path in (("page_ms", "/admin/"), ("figures_first_ms", "/admin/api/stats"),
                          ("figures_ms", "/admin/api/stats"), ("figures_channel_ms", "/admin/api/stats?channel=telegram"),
                          ("inbox_ms", "/admin/inbox/")):
            t = time.perf_counter()
            client.get(path)
            out[key] = round((time.perf_counter() - t) * 1000)
        stats = json.loads(client.get("/admin/api/stats"))
        out["messages"] = stats["messages"]
    return out


def main() -> None:
    """``python -m bench.console``: both figures on a fresh ``make run`` stack, written to
    bench/results.json and the "Staff console" section of bench/RESULTS.md."""
    from datetime import datetime, timezone

    from bench import load, report
    from bench.stacks import Stack

    model = subprocess.run([PY, str(ROOT / "scripts" / "train.py")], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.strip().splitlines()[-1]
    with Stack("project", model) as stack:
        load.load(stack.url, 20, 2, seed=99, token=stack.rest_token)  # warm-up, as before the throughput figures
        trials = sorted(edit_to_live(stack) for _ in range(5))
    print(f"staff edit to live answer: median {trials[2]} s of {trials}", flush=True)
    dash = dashboard_load(100_000)
    print(f"dashboard with 100,000 conversations: {dash}", flush=True)
    report.write_console({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cores": os.cpu_count(),
                          "command": "python -m bench.console", "edit_to_live_s": trials[2],
                          "edit_to_live_trials_s": trials, "dashboard": dash})


if __name__ == "__main__":
    main()
