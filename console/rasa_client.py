"""The Rasa HTTP API calls the console makes for handoffs (one aiohttp client, with timeouts)."""
from __future__ import annotations

import asyncio
from typing import Any, Optional
from urllib.parse import quote

import aiohttp

from service_desk.rasa_api import staff_jwt

RELAY_ACTION = "action_relay_staff_message"
STAFF_SLOT = "staff_message"
RESUME_EVENTS = ({"event": "resume"}, {"event": "action", "name": "action_listen"})


class RasaError(RuntimeError):
    """Rasa could not be reached or refused the call."""


class RasaClient:
    """Calls Rasa's HTTP API as one staff member: with a JWT in the Authorization header when
    ``jwt_secret`` is set (production), else with Rasa's ``?token=`` (loopback only)."""

    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0, jwt_secret: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.jwt_secret = jwt_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None
        self._relaying: dict[str, asyncio.Lock] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, *, json: Any = None,
                    params: Optional[dict[str, str]] = None, user: str = "console") -> Any:
        query = dict(params or {})
        headers = {}
        if self.jwt_secret:
            headers["Authorization"] = f"Bearer {staff_jwt(self.jwt_secret, user)}"
        elif self.token:
            query["token"] = self.token  # Rasa's --auth-token; loopback only, never through a proxy
        url = f"{self.base_url}{path}"
        try:
            async with self._http().request(method, url, json=json, params=query, headers=headers) as resp:
                if resp.status >= 400:
                    raise RasaError(f"{method} {path}: HTTP {resp.status}")
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaError(f"{method} {path}: {exc.__class__.__name__}") from exc

    def _conversation(self, sender_id: str) -> str:
        return f"/conversations/{quote(sender_id, safe='')}"

    async def tracker(self, sender_id: str, user: str = "console") -> dict:
        return await self._call("GET", self._conversation(sender_id) + "/tracker",
                                params={"include_events": "AFTER_RESTART"}, user=user)

    async def append_event(self, sender_id: str, event: dict, user: str = "console") -> None:
        await self._call("POST", self._conversation(sender_id) + "/tracker/events", json=event, user=user)

    async def relay(self, sender_id: str, message: dict, user: str = "console") -> None:
        """Sends ``{"text": ...}`` or ``{"response": "utter_..."}`` to the citizen on the channel
        they use, while the bot stays paused (the relay action reads the slot and utters it)."""
        lock = self._relaying.setdefault(sender_id, asyncio.Lock())
        async with lock:  # slot + execute of two messages must not interleave (one process; see docs)
            await self.append_event(sender_id, {"event": "slot", "name": STAFF_SLOT, "value": message}, user)
            await self._call("POST", self._conversation(sender_id) + "/execute",
                             json={"name": RELAY_ACTION}, params={"output_channel": "latest"}, user=user)


    async def resume(self, sender_id: str, user: str = "console") -> None:
        """Gives the conversation back to the bot, listening (the handoff paused it right after
        ``action_handoff``; without ``action_listen`` the policies would not know the next turn)."""
        for event in RESUME_EVENTS:
            await self.append_event(sender_id, event, user)
