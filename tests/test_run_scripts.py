"""The start scripts refuse a Telegram token without an API token (issue 13: closed by default)."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("script", ["run.sh", "run_prod.sh"])
def test_a_telegram_token_without_an_api_token_is_refused(script):
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"}
    env.update(TELEGRAM_TOKEN="123:abc", MODEL="/nonexistent.tar.gz")
    done = subprocess.run(["bash", str(ROOT / "scripts" / script)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "RASA_TOKEN" in done.stderr and "refusing to start" in done.stderr


def _commands(script: str) -> list[str]:
    """The script's lines that do something (not the shebang, comments or blank lines)."""
    lines = (ROOT / "scripts" / script).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("script", ["run.sh", "run_prod.sh"])
def test_files_are_created_private_from_the_first_command(script):
    """``umask 077`` before anything that could write: only ``set`` may come before it."""
    commands = _commands(script)
    first = next(i for i, line in enumerate(commands) if line.split("#")[0].split() == ["umask", "077"])
    assert all(line.startswith("set ") for line in commands[:first]), commands[:first]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_sh_creates_logs_and_databases_readable_by_the_owner_only(tmp_path):
    """Starts the real scripts/run.sh (no model: the servers that need none make their files)
    and stops it once the logs and SQLite databases are there."""
    import signal
    import stat
    import time

    logs, data = tmp_path / "logs", tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_TOKEN", "DATABASE_URL", "TRACKER_DB_URL")}
    env.update(MODEL="/nonexistent.tar.gz", LOG_DIR=str(logs), GOVASSIST_DATA_DIR=str(data),
               TRACKER_DB=str(data / "tracker.db"), DATABASE_URL=f"sqlite:///{data / 'kb.db'}",
               RASA_PORT=str(_free_port()), ACTION_PORT=str(_free_port()), WEB_PORT=str(_free_port()))
    wanted = [logs / "actions.log", logs / "rasa.log", logs / "web.log", data / "kb.db", data / "tracker.db"]
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not all(p.exists() for p in wanted):
            time.sleep(0.5)
        time.sleep(1)  # the databases' first writes (schema, WAL files)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    made = [p for p in [logs, data, *logs.iterdir(), *data.iterdir()]]
    assert all(p.exists() for p in wanted), [str(p) for p in wanted if not p.exists()]
    loose = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in made
             if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert not loose, loose
