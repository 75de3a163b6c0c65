"""Private servers for fault tests: a PostgreSQL cluster in a temporary directory and a Redis
server, each on a free port, that a test may stop and start again. The shared PostgreSQL
(5432) and Redis (6379) are never touched."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.stack import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def wait_port(port: int, up: bool, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} is not {'up' if up else 'down'} after {timeout} s")


@dataclass
class PrivatePostgres:
    """``initdb`` into ``workdir``; trust authentication on 127.0.0.1 only."""

    workdir: Path
    port: int = 0

    @staticmethod
    def available() -> bool:
        return bool(_bin("initdb") and _bin("pg_ctl"))

    @property
    def datadir(self) -> Path:
        return self.workdir / "pgdata"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def init(self) -> "PrivatePostgres":
        self.port = self.port or free_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        subprocess.run(_as_postgres([_bin("initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
        return self

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.workdir} -c fsync=off"
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", str(self.datadir), "-o", opts, "-l",
                                     str(self.workdir / "postgres.log"), "-w", "-t", "30", "start"]),
                       check=True, capture_output=True)
        wait_port(self.port, up=True)

    def stop(self) -> None:
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "-t", "30",
                                     "stop"]), capture_output=True)
        wait_port(self.port, up=False)

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as con:
                con.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


@dataclass
class PrivateRedis:
    port: int = 0
    proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("redis-server"))

    def start(self) -> "PrivateRedis":
        self.port = self.port or free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, up=True)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        wait_port(self.port, up=False)
