"""Fixtures: a console over a temporary knowledge base and conversation store, staff accounts,
a Rasa double that records the API calls, and a signed-in HTTP client."""
from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import sessionmaker

from bot.settings import Settings
from channels.web.server import make_app
from console.app import install_console, tracker_engine
from console.auth import create_user
from console.models import ensure_schema
from console.rasa_client import RasaClient, RasaError
from knowledge_base import db as kb_db
from knowledge_base.cli import main as kb_cli
from service_desk.store import ensure_schema as ensure_desk_schema

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="session")
def kb_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("console-kb") / "kb.db"
    assert kb_cli(["--database-url", f"sqlite:///{path}", "build"]) == 0
    return path


class RecordingRasa(RasaClient):
    """Stands in for Rasa's HTTP API in unit tests: records calls, can be told to fail."""

    def __init__(self) -> None:
        super().__init__("http://rasa.invalid")
        self.calls: list[tuple[str, str, object]] = []
        self.users: list[str] = []
        self.down = False
        self.events: dict[str, list[dict]] = {}

    async def _call(self, method, path, *, json=None, params=None, user="console"):
        await asyncio.sleep(0.001)  # a network round trip: other requests may run meanwhile
        if self.down:
            raise RasaError("down")
        self.calls.append((method, path, json))
        self.users.append(user)
        return {"events": self.events.get(path.split("/")[2], [])} if method == "GET" else {}


@pytest.fixture
def settings(tmp_path, kb_file) -> Settings:
    kb = tmp_path / "kb.db"
    shutil.copy(kb_file, kb)
    return replace(Settings.from_env({}), data_dir=tmp_path, database_url=f"sqlite:///{kb}",
                   tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}", login_max_failures=3)


@pytest.fixture
def kb_sessions(settings):
    engine = kb_db.make_engine(settings.database_url)
    ensure_schema(engine)
    ensure_desk_schema(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def conv_sessions(settings):
    engine = tracker_engine(settings.tracker_db_url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def staff(kb_sessions) -> dict[str, str]:
    """One account per role (user name = role)."""
    with kb_sessions() as session:
        for role in ("viewer", "editor", "admin"):
            create_user(session, role, PASSWORD, role, display_name=role.title())
        session.commit()
    return {role: role for role in ("viewer", "editor", "admin")}


@pytest.fixture
def rasa() -> RecordingRasa:
    return RecordingRasa()


@pytest.fixture
async def client(settings, staff, rasa):
    app = make_app("http://localhost:5005", lambda a: install_console(a, settings, rasa=rasa, alert_interval=0))
    async with TestClient(TestServer(app)) as c:
        yield c


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def login(client, username: str, password: str = PASSWORD, lang: str = "en"):
    page = await client.get("/admin/login", headers={"Accept-Language": lang})
    token = csrf_of(await page.text())
    return await client.post("/admin/login", data={"csrf_token": token, "username": username,
                                                   "password": password, "next": "/admin/"},
                             allow_redirects=False, headers={"Accept-Language": lang})


async def post_form(client, page_url: str, action_url: str, data: dict, **kwargs):
    """Loads ``page_url`` for its CSRF token and posts ``data`` to ``action_url``."""
    page = await client.get(page_url)
    assert page.status == 200, page_url
    return await client.post(action_url, data={"csrf_token": csrf_of(await page.text()), **data},
                             allow_redirects=False, **kwargs)
