"""A SQL tracker store that masks personal data before conversations are written to disk.

Configured in endpoints.yml (``type: service_desk.tracker_store.MaskingSQLTrackerStore``). The
bot still understands the message it was sent; only what is stored (and later read back, shown
to staff or exported) has resident IDs, mobile numbers and e-mail addresses masked.
"""
from __future__ import annotations

from typing import Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, UserUttered

from service_desk.privacy import mask_personal_data


def masked(event: Event) -> Event:
    """``event`` with personal data masked in its text (user and bot messages only)."""
    if not isinstance(event, (UserUttered, BotUttered)) or not event.text:
        return event
    text = mask_personal_data(event.text)
    if text == event.text:
        return event
    data = event.as_dict()
    data["text"] = text
    if isinstance(data.get("parse_data"), dict):
        data["parse_data"]["text"] = text
    return Event.from_parameters(data)


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events never contain unmasked personal data."""

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        return (masked(e) for e in super()._additional_events(session, tracker))
