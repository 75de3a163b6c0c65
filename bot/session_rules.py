"""What a new conversation session keeps of the last one (pure Python, no Rasa).

Used by both session starts: the Rasa server's in-process one (bot/session_start.py, the default)
and the action server's (actions/session.py, used when the server's speed-ups are off).
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

# the citizen's language, script and district, and a staff message not yet delivered: a citizen
# would not expect to repeat them; everything else (service, aspect, candidates) starts afresh
CARRIED_SLOTS = ("language", "script", "district", "staff_message")


def carried_slots(get_slot: Callable[[str], Optional[Any]]) -> List[Tuple[str, Any]]:
    """(name, value) of each carried slot that has a value."""
    return [(name, value) for name in CARRIED_SLOTS if (value := get_slot(name)) is not None]
