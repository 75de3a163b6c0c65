"""Fixtures of the Telegram channel tests: a fake Bot API on loopback and the real servers.

``telegram_stack`` (session) starts, like scripts/run.sh, the action server and the Rasa server on
free loopback ports, each with its own temporary knowledge base (``python -m knowledge_base
build``), tracker database and a temporary credentials file that enables this channel with a fake
token and secret and points its ``base_url`` at ``telegram_api``, a Bot API double running in a
thread of the test process.  Nothing leaves the machine: proxies are switched off for loopback.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.telegram.bot_api_double import TEST_TOKEN as TOKEN
from tests.telegram.bot_api_double import FakeBotApi, free_port

ROOT = Path(__file__).resolve().parents[2]
PY = ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = float(os.environ.get("TELEGRAM_E2E_START_TIMEOUT", "420"))
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _python() -> str:
    return str(PY) if PY.exists() else sys.executable


def _loopback_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS
           and k not in ("TELEGRAM_TOKEN", "TELEGRAM_SECRET")}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONPATH=str(ROOT),
               TF_CPP_MIN_LOG_LEVEL="2", **extra)
    return env


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    """A fresh Bot API double for one test (in-process channel tests)."""
    with FakeBotApi(TOKEN) as api:
        yield api


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeBotApi]:
    """The Bot API double the Rasa server of ``telegram_stack`` talks to."""
    with FakeBotApi(TOKEN) as api:
        yield api


@dataclass
class TelegramStack:
    """The running servers; ``post(update)`` delivers an update like Telegram does."""

    rasa_url: str
    action_url: str
    secret: str
    api: FakeBotApi
    workdir: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/telegram/webhook"

    def post(self, update: dict, secret: str | None = ..., timeout: float = 60) -> tuple[int, str]:
        """POST ``update`` to the webhook (with the right secret unless ``secret`` is given)."""
        import json

        headers = {"Content-Type": "application/json"}
        secret = self.secret if secret is ... else secret
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        req = urllib.request.Request(self.webhook_url, data=json.dumps(update).encode(), headers=headers,
                                     method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def tracker(self, sender: str) -> dict:
        import json

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30) as r:
            return json.loads(r.read().decode())

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n" + p.read_text(errors="replace")[-4000:]
                         for p in sorted(self.workdir.glob("*.log")))


def _up(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=3) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="session")
def telegram_stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeBotApi) -> Iterator[TelegramStack]:
    """Real action server + Rasa server with this channel configured against the double."""
    workdir = tmp_path_factory.mktemp("telegram_e2e")
    rasa_port, action_port = free_port(), free_port()
    secret = "e2e-" + secrets.token_urlsafe(24)
    env = _loopback_env(DATABASE_URL=f"sqlite:///{workdir / 'kb.db'}", TRACKER_DB=str(workdir / "tracker.db"),
                        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook",
                        GOVASSIST_DATA_DIR=str(workdir), RASA_TELEMETRY_ENABLED="false")

    subprocess.run([_python(), "-m", "knowledge_base", "build"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=600)
    train = subprocess.run([_python(), "scripts/train.py"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True, timeout=3600)
    model = train.stdout.strip().splitlines()[-1]

    credentials = workdir / "credentials.yml"
    credentials.write_text(
        "channels.rest.CappedRestInput:\n"
        "channels.telegram.TelegramInput:\n"
        f"  token: \"{TOKEN}\"\n"
        f"  secret: \"{secret}\"\n"
        f"  base_url: \"{telegram_api.base_url}\"\n"
        "  timeout: 10\n", encoding="utf-8")

    procs: list[subprocess.Popen] = []
    stack = TelegramStack(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", secret,
                          telegram_api, workdir, procs)
    try:
        with open(workdir / "actions.log", "w") as log:  # the child keeps its own copy of the fd
            procs.append(subprocess.Popen(
                [_python(), "-m", "service_desk.action_server", "--actions", "actions", "--port", str(action_port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        with open(workdir / "rasa.log", "w") as log:
            procs.append(subprocess.Popen(
                [_python(), "-m", "rasa", "run", "-m", model, "--enable-api", "-i", "127.0.0.1",
                 "--port", str(rasa_port), "--endpoints", str(ROOT / "endpoints.yml"),
                 "--credentials", str(credentials)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + START_TIMEOUT
        while not (_up(f"{stack.rasa_url}/status") and _up(f"{stack.action_url}/health")):
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                pytest.fail(f"a server exited while starting\n{stack.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"servers not ready after {START_TIMEOUT:.0f}s\n{stack.logs()}")
            time.sleep(1)
        yield stack
    finally:
        _stop(procs)
