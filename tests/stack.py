"""Starts the real Rasa server and action server on free ports for end-to-end tests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from tests.web_senders import issued_sender

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trained_model() -> str:
    """Path of the model for the current data (trains only when the inputs changed)."""
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py")], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


ACTION_REQUEST_MAX_SIZE = "16777216"  # scripts/run.sh: the action server's own body limit


def action_server_command(port: int, *args: str) -> list[str]:
    """The action server as scripts/run.sh starts it (logs masked: service_desk/action_server.py)."""
    return [sys.executable, "-m", "service_desk.action_server", "--actions", "actions", "--port", str(port), *args]


def build_knowledge_base(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "knowledge_base", "build"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def _get(url: str, timeout: float = 2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode() or "null")


@dataclass
class BotStack:
    """A running action server + Rasa server pair with its own databases."""

    workdir: Path
    credentials: Optional[Path] = None
    extra_env: dict = field(default_factory=dict)
    rasa_args: list = field(default_factory=list)
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    procs: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def env(self) -> dict:
        return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false",
                "DATABASE_URL": f"sqlite:///{self.workdir / 'kb.db'}",
                "TRACKER_DB": str(self.workdir / "tracker.db"),
                "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
                "SANIC_REQUEST_MAX_SIZE": "1048576", "SANIC_FALLBACK_ERROR_FORMAT": "json",  # as scripts/run.sh
                **self.extra_env}

    def start(self, model: str) -> "BotStack":
        build_knowledge_base(self.env["DATABASE_URL"])
        logs = self.workdir
        self.procs.append(subprocess.Popen(
            action_server_command(self.action_port), cwd=ROOT,
            env={**self.env, "SANIC_REQUEST_MAX_SIZE": ACTION_REQUEST_MAX_SIZE},  # as scripts/run.sh
            stdout=open(logs / "actions.log", "w"), stderr=subprocess.STDOUT))
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "-m", model, "--enable-api", "--port", str(self.rasa_port),
             "--endpoints", str(ROOT / "endpoints.yml"),
             "--credentials", str(self.credentials or ROOT / "credentials.yml"), *self.rasa_args],
            cwd=ROOT, env=self.env, stdout=open(logs / "rasa.log", "w"), stderr=subprocess.STDOUT))
        self._wait()
        return self

    def _wait(self, timeout: float = 300) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"server exited early; logs in {self.workdir}:\n" + self.logs())
            try:
                # /status needs a token when the API is protected; "/" answers once the model is loaded
                if "--jwt-secret" in self.rasa_args:
                    urllib.request.urlopen(f"{self.url}/", timeout=2).read()
                else:
                    _get(f"{self.url}/status")
                _get(f"http://127.0.0.1:{self.action_port}/health")
                return
            except OSError:
                time.sleep(1)
        self.stop()
        raise RuntimeError("servers did not start in time:\n" + self.logs())

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.workdir.glob("*.log")))

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()

    def say(self, sender: str, message: str, metadata: Optional[dict] = None) -> list[dict]:
        body = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        req = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read().decode() or "[]")

    def tracker(self, sender: str) -> dict:
        return _get(f"{self.url}/conversations/{sender}/tracker", timeout=30)

    def web_sender(self) -> str:
        """A new sender id for the web chat channel, issued by this server (as the widget gets one)."""
        return issued_sender(self.url)
