"""Fixtures for action tests: a temporary knowledge base, dispatcher, domain and trackers."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from knowledge_base import db
from knowledge_base.access import KnowledgeBaseAccess

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
LANGS = ["zh", "en"]


@pytest.fixture
def kb(kb_url, monkeypatch) -> KnowledgeBaseAccess:
    monkeypatch.setenv("DATABASE_URL", kb_url)
    access = KnowledgeBaseAccess(kb_url)
    common.use_knowledge_base(access)
    yield access
    common.use_knowledge_base(None)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot" / "domain")).as_dict()


@pytest.fixture
def make_tracker():
    """Builds a tracker: slots, the latest message (text, intent, entities) and past events."""

    def build(text: str = "", intent: str = "ask_overview", slots: dict | None = None,
              entities: list | None = None, events: list | None = None, sender: str = "test-user") -> Tracker:
        all_slots = {"language": "zh", "script": "simplified", "service": None, "aspect": None,
                     "district": None, "rating": None, "failed_turns": 0.0, **(slots or {})}
        latest = {"text": text, "intent": {"name": intent, "confidence": 0.99},
                  "entities": entities or []}
        return Tracker(sender, all_slots, latest, events or [], False, None, {}, "action_listen")

    return build


@pytest.fixture
def freeze_time(monkeypatch):
    """Freezes the actions' clock at the given local (Asia/Shanghai) time."""

    def freeze(*args: int) -> datetime:
        moment = datetime(*args, tzinfo=TZ)
        monkeypatch.setattr(common, "now", lambda: moment)
        import actions.offices as offices

        monkeypatch.setattr(offices, "now", lambda: moment)
        return moment

    return freeze


def sent(dispatcher: CollectingDispatcher) -> list[str]:
    """The response names the action sent, in order."""
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture(autouse=True)
def _dispose_engines():
    yield
    db.dispose_engines()
