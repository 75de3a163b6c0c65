"""One summary row per citizen message (a *turn*), derived from the events a save adds.

Pure Python over event dictionaries (Rasa's ``Event.as_dict()`` form), so it is tested without
a server. The tracker store writes these rows next to the events; the staff console's dashboard,
unanswered inbox and hot-topic warning read them instead of replaying every stored event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

OUTCOMES_FILE = Path(__file__).with_name("outcomes.yml")
MAX_TEXT = 500
PUSHED = "pushed"  # bot messages sent by staff or on their behalf, not by the bot's own turn


@dataclass(frozen=True)
class TurnFact:
    """What one citizen message was about and how the assistant answered it."""

    sender_id: str
    timestamp: float
    channel: str
    language: str
    text: str
    intent: Optional[str]
    service: Optional[str]
    aspect: Optional[str]
    outcome: str
    responses: tuple[str, ...] = ()
    day: str = ""               # local calendar day of the message, YYYY-MM-DD
    opens_session: bool = False  # the first message of a conversation (Rasa session)


def local_day(timestamp: float, tz: Optional[str]) -> str:
    """The calendar day of a unix timestamp in time zone ``tz`` (UTC if unknown)."""
    zone = timezone.utc
    if tz:
        try:
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(tz)
        except Exception:  # unknown zone name: UTC rather than no summary at all
            zone = timezone.utc
    return datetime.fromtimestamp(timestamp, zone).date().isoformat()


@lru_cache(maxsize=1)
def _rules() -> tuple[tuple[str, frozenset[str], tuple[str, ...]], ...]:
    data = yaml.safe_load(OUTCOMES_FILE.read_text(encoding="utf-8"))
    return tuple((r["outcome"], frozenset(r.get("responses") or ()), tuple(r.get("prefixes") or ()))
                 for r in data["outcomes"])


def outcome_of(responses: Iterable[str]) -> str:
    """The outcome of a turn from the names of the responses sent in it (``other`` if none match)."""
    names = [r for r in responses if r]
    for outcome, exact, prefixes in _rules():
        if any(n in exact or n.startswith(prefixes) for n in names):
            return outcome
    return "other"


def _language(event: dict, slots: dict[str, Any], fallback: str) -> str:
    metadata = event.get("metadata") or {}
    for value in (slots.get("language"), metadata.get("language"), fallback):
        if value in ("zh", "en"):
            return value
    return "zh"


def summarise(events: list[dict], sender_id: str, *, language: str = "zh", channel: str = "rest",
              current: Optional[dict[str, Any]] = None, tz: Optional[str] = None) -> list[TurnFact]:
    """Turn facts for every user message in ``events`` (the events added by one save).

    A turn runs from a user message to the next one. ``service`` and ``aspect`` are the slot
    values set during the turn; an answered turn that set none (a follow-up such as "and the
    fee?") takes them from ``current``, the slots after the save. ``language`` is the language
    slot as the turn left it.
    """
    current_slots = current or {}
    facts: list[TurnFact] = []
    turn: Optional[dict] = None
    slots: dict[str, Any] = {}
    responses: list[str] = []
    session_open = False
    opens = False

    def close() -> None:
        if turn is None:
            return
        parse = turn.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        outcome = outcome_of(responses)
        service, aspect = slots.get("service"), slots.get("aspect")
        if outcome == "answered":
            service = service or current_slots.get("service")
            aspect = aspect or current_slots.get("aspect")
        timestamp = float(turn.get("timestamp") or 0.0)
        facts.append(TurnFact(
            sender_id=sender_id, timestamp=timestamp, day=local_day(timestamp, tz), opens_session=opens,
            channel=turn.get("input_channel") or channel,
            language=_language(turn, slots, language), text=(turn.get("text") or "")[:MAX_TEXT],
            intent=intent, service=service or None, aspect=aspect or None,
            outcome=outcome, responses=tuple(responses)))

    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            session_open = True
        elif kind == "user":
            close()
            turn, responses = event, []
            opens, session_open = session_open, False
            slots = {"language": slots.get("language")}
        elif kind == "slot" and turn is not None:
            if event.get("name") in ("service", "aspect", "language"):
                slots[event["name"]] = event.get("value")
        elif kind == "slot" and event.get("name") == "language":
            slots["language"] = event.get("value")
        elif kind == "bot" and turn is not None:
            metadata = event.get("metadata") or {}
            if not metadata.get(PUSHED) and metadata.get("utter_action"):
                responses.append(str(metadata["utter_action"]))
    close()
    return facts
