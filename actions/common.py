"""Shared pieces of the actions: knowledge-base access, the citizen's language, the clock."""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker

from knowledge_base.access import KnowledgeBaseAccess

_kb: Optional[KnowledgeBaseAccess] = None


def knowledge_base() -> KnowledgeBaseAccess:
    """The process-wide knowledge-base access (created on first use)."""
    global _kb
    if _kb is None:
        _kb = KnowledgeBaseAccess.from_settings()
    return _kb


def use_knowledge_base(kb: Optional[KnowledgeBaseAccess]) -> None:
    """Points the actions at another knowledge base (tests)."""
    global _kb
    _kb = kb


def language(tracker: Tracker) -> str:
    """The citizen's language: 'zh' or 'en' (the slot follows the latest message)."""
    return "en" if tracker.get_slot("language") == "en" else "zh"


def now() -> datetime:
    """The current time in the service's time zone (patched in tests)."""
    from bot.settings import Settings

    return datetime.now(ZoneInfo(Settings.from_env().timezone))


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def understanding_of(tracker: Tracker) -> Dict[str, Any]:
    """The decision layer's record of the latest message (candidates, reason, evidence)."""
    value = (tracker.latest_message or {}).get("understanding")
    return value if isinstance(value, dict) else {}


def latest_entity(tracker: Tracker, name: str) -> Any:
    for entity in (tracker.latest_message or {}).get("entities", []) or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def latest_entity_confidence(tracker: Tracker, name: str) -> float:
    for entity in (tracker.latest_message or {}).get("entities", []) or []:
        if entity.get("entity") == name:
            return float(entity.get("confidence_entity") or 0.0)
    return 0.0


def previous_user_text(tracker: Tracker) -> str:
    """The citizen's message before the latest one ("" if none)."""
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest:
                return event.get("text") or ""
            seen_latest = True
    return ""


def earlier_user_texts(tracker: Tracker, limit: int = 10) -> List[str]:
    """The citizen's messages of this session before the latest one, the most recent first (at most
    ``limit``)."""
    texts: List[str] = []
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "user":
            if seen_latest and len(texts) < limit:
                texts.append(event.get("text") or "")
            seen_latest = True
    return texts


def slot_before_latest_message(tracker: Tracker, name: str) -> Any:
    """The value ``name`` had before the latest user message filled any slots."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return None


class KnowledgeBaseAction(Action, ABC):
    """Base of actions that read the knowledge base (abstract: not registered itself)."""

    @abstractmethod
    def name(self) -> str:
        ...

    @property
    def kb(self) -> KnowledgeBaseAccess:
        return knowledge_base()

    def service_buttons(self, service_ids: List[str], lang: str) -> List[Dict[str, str]]:
        """One button a service, titled with its name; the payload picks that service."""
        buttons = []
        for sid in service_ids:
            service = self.kb.service(sid)
            if service is not None:
                buttons.append({"title": service.name.get(lang),
                                "payload": f'/inform_service{{"service":"{sid}"}}'})
        return buttons
