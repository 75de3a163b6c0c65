"""Starts and stops the stacks the benchmark compares, each on its own free ports and databases.

* ``project``: ``scripts/run.sh`` (what ``make run`` starts: SQLite, in-memory lock store);
* ``prod``: ``scripts/run_prod.sh`` (``make run-prod``: nginx, Rasa replicas, PostgreSQL, Redis);
* ``stock``: ``scripts/run.sh`` serving Rasa's default pipeline and policies trained on the same
  data (``config.default.yml``), with the same actions.
Every stack runs in its own process session, so stopping it stops only its own processes.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def session_processes(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process in session ``sid``."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == sid:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                out.append((int(proc.name), cmd))
        except (OSError, ValueError, IndexError):
            continue
    return out


@dataclass
class Stack:
    """One running stack (a script and everything it started)."""

    kind: str
    model: str | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    started_in: float = 0.0
    env: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Rasa's HTTP API (trackers): production mode serves it on an internal port only."""
        return f"http://127.0.0.1:{self.env['API_PORT']}" if self.env.get("API_PORT") else self.url

    @property
    def rest_token(self) -> str | None:
        """The REST channel's token: production mode publishes REST on its public port only with one."""
        return self.env.get("REST_TOKEN") or None

    @property
    def rest_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.rest_token}"} if self.rest_token else {}

    @property
    def replica_urls(self) -> list[str]:
        """The Rasa replicas behind the load balancer (production mode)."""
        base = int(self.env.get("RASA_BASE_PORT", 0))
        count = int(self.env.get("REPLICAS", "2"))
        return [f"http://127.0.0.1:{base + i}" for i in range(1, count + 1)] if base else [self.url]

    def start(self, timeout: float = 600) -> "Stack":
        base = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "NO_WEB": "1",
                "WEB_PORT": str(free_port())}
        if self.model:
            base["MODEL"] = self.model
        if self.kind == "stock":  # Rasa's own per-action schema validation, as a stock server does
            base["RASA_SPEEDUPS"] = "off"
        if self.kind == "prod":
            tag = uuid.uuid4().hex[:8]
            pg = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
            env = {**base, "PUBLIC_PORT": str(self.port), "ACTION_LB_PORT": str(free_port()), "API_PORT": str(free_port()),
                   "RASA_BASE_PORT": str(20000 + int(tag[:3], 16)), "ACTION_BASE_PORT": str(25000 + int(tag[3:6], 16)),
                   "PROD_VAR_DIR": str(self.workdir / "prod"),
                   "DATABASE_URL": f"{pg}/bench_kb_{tag}", "TRACKER_DB_URL": f"{pg}/bench_conv_{tag}",
                   "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                   # the REST channel is public in production only behind its token (scripts/nginx_conf.py)
                   "REST_TOKEN": secrets.token_urlsafe(24)}
            cmd = ["bash", str(ROOT / "scripts" / "run_prod.sh")]
        else:
            kb = f"sqlite:///{self.workdir / 'kb.db'}"
            env = {**base, "RASA_PORT": str(self.port), "ACTION_PORT": str(free_port()),
                   "DATABASE_URL": kb, "TRACKER_DB": str(self.workdir / "tracker.db"), "LOG_DIR": str(self.workdir),
                   "GOVASSIST_DATA_DIR": str(self.workdir)}
            subprocess.run([PY, "-m", "knowledge_base", "build"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            cmd = ["bash", str(ROOT / "scripts" / "run.sh")]
        self.env = env
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                                     stdout=open(self.workdir / "stack.log", "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} stack failed: {(self.workdir / 'stack.log').read_text()[-2000:]}")
            if "Ready" in (self.workdir / "stack.log").read_text(errors="replace"):
                self.started_in = time.perf_counter() - t0
                return self
            time.sleep(1)
        self.stop()
        raise TimeoutError(f"{self.kind} stack did not start in {timeout} s")

    def memory(self) -> dict[str, list]:
        """Resident memory (MB) of each of this stack's servers, by role."""
        mem: dict[str, list] = {}
        for pid, cmd in session_processes(self.proc.pid):
            role = ("rasa" if " rasa run " in f" {cmd} " else
                    "actions" if "service_desk.action_server" in cmd or "rasa_sdk" in cmd
                    else "nginx" if "nginx" in cmd else None)
            if role:
                mem.setdefault(role, []).append(round(rss_mb(pid)))
        return mem

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.kind == "prod" and self.env:
            _drop_databases(self.env["DATABASE_URL"], self.env["TRACKER_DB_URL"])

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _drop_databases(*urls: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    for url in urls:
        target = make_url(url)
        engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as con:
                con.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        except Exception:
            pass
        finally:
            engine.dispose()
