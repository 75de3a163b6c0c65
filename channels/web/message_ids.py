"""Idempotent web chat messages: a retried message is answered once, never processed twice.

The widget sends each message with a client-made ``message_id`` (the same on every retry). The
channel hands it to Rasa as the ``UserMessage``'s ``message_id``, which Rasa stores in the
``user`` event. A message is then handled at most once per conversation:

* **already in the tracker** (the first attempt was processed, its answer lost): not processed
  again; the answer is rebuilt from the bot messages that followed that ``user`` event, sent
  through a ``CollectingOutputChannel`` exactly as Rasa sent them (same JSON as a normal reply);
* **in flight in this server** (a retry while the first attempt runs): the retry awaits the task
  that handles the first attempt (:class:`InFlight`, a map ``(sender, id) → task``) and returns
  the same answer. The task is shielded from the client going away, so an abandoned attempt still
  completes its turn and a later retry finds it in the tracker;
* **in flight on another replica**: only when Rasa's lock store is a ``RedisLockStore``
  (endpoints.prod.yml: replicas behind nginx share conversations, so they must share this too).
  Then the attempt first claims ``<lock key prefix>webchat_message:<sender>:<id>`` in that Redis
  (``SET NX`` with a :data:`CLAIM_SECONDS` expiry, renewed while the turn runs, so a killed
  replica's claim lapses within seconds, before the proxy's timeout), waits
  while another replica holds it, and checks the tracker only once it holds the claim. The claim
  is released after the tracker is saved. With any other lock store (``in_memory``: one Rasa
  server, make run) the in-process map is all there is, as it is for Rasa's own locks.

Messages without an id are processed as before.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered

logger = logging.getLogger(__name__)

MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CLAIM_SECONDS = 20  # a claim lapses this long after its holder stopped renewing it (a killed replica)
RENEW_SECONDS = 5  # how often the holder renews its claim while the turn runs
MAX_TURN_SECONDS = 120  # longest a waiting replica waits for another's turn
POLL_SECONDS = 0.1  # how often a waiting replica looks whether the claim is gone
ACTION_LISTEN = "action_listen"

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"


def is_valid_message_id(value: Any) -> bool:
    """A message id is 1–64 characters of ``[A-Za-z0-9_-]`` (a UUID fits)."""
    return isinstance(value, str) and MESSAGE_ID_RE.fullmatch(value) is not None


def answered_turn(events: Iterable[Event], message_id: str) -> list[BotUttered] | None:
    """The bot messages that answered the ``user`` event with ``message_id`` (None if there is no
    such event): those up to the end of that turn (the next ``action_listen`` or ``user`` event),
    without the messages staff pushed into the conversation (the widget polls for those)."""
    answer: list[BotUttered] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if answer is not None:
                break
            if event.message_id == message_id:
                answer = []
        elif answer is None:
            continue
        elif isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN:
            break
        elif isinstance(event, BotUttered) and (event.metadata or {}).get("pushed") is not True:
            answer.append(event)
    return answer


async def replay(sender: str, bot_events: list[BotUttered]) -> list[dict[str, Any]]:
    """The reply JSON for ``bot_events``, built as Rasa builds it (``send_response`` of each)."""
    collector = CollectingOutputChannel()
    for event in bot_events:
        await collector.send_response(sender, event.message())
    return list(collector.messages)


class InFlight:
    """The task handling each message id in this process; a retry joins it instead of starting one."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Future] = {}

    def run(self, key: Hashable, handle: Callable[[], Awaitable[Any]]) -> asyncio.Future:
        """The running task for ``key``, or a new one running ``handle()``."""
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(handle())
            self._tasks[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        return task

    def _forget(self, key: Hashable, task: asyncio.Future) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        error = None if task.cancelled() else task.exception()
        if error is not None:  # logged once here, even if every request for it has gone
            logger.error("webchat: could not handle message %s", key, exc_info=error)

    def __len__(self) -> int:
        return len(self._tasks)


class RedisClaims:
    """Claims on message ids shared by the replicas, in the Redis of Rasa's lock store."""

    def __init__(self, redis: Any, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix

    def key(self, sender: str, message_id: str) -> str:
        return f"{self.key_prefix}webchat_message:{sender}:{message_id}"

    async def acquire(self, sender: str, message_id: str) -> str:
        """Claims the message (waiting while another replica holds it); returns the claim's token."""
        key, token = self.key(sender, message_id), uuid.uuid4().hex
        deadline = time.monotonic() + MAX_TURN_SECONDS + CLAIM_SECONDS
        while not await asyncio.to_thread(self.redis.set, key, token, nx=True, px=CLAIM_SECONDS * 1000):
            if time.monotonic() > deadline:
                raise TimeoutError(f"message {message_id} of {sender} stayed claimed")
            await asyncio.sleep(POLL_SECONDS)
        return token

    async def keep(self, sender: str, message_id: str, token: str) -> None:
        """Renews the claim every :data:`RENEW_SECONDS` until cancelled (the turn is over): a short
        claim that lapses soon after a replica is killed, yet lasts as long as a slow turn."""
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                await asyncio.to_thread(self.redis.eval, _RENEW, 1, self.key(sender, message_id), token,
                                        CLAIM_SECONDS * 1000)
            except Exception:  # Redis gone for a moment: the claim may lapse, which only allows a retry
                logger.warning("webchat: could not renew the claim on message %s of %s", message_id, sender)

    async def release(self, sender: str, message_id: str, token: str) -> None:
        """Gives the claim up, unless it lapsed and another replica holds it now."""
        await asyncio.to_thread(self.redis.eval, _RELEASE, 1, self.key(sender, message_id), token)


def redis_claims(agent: Any) -> RedisClaims | None:
    """Claims in the Redis of the agent's lock store, or None if that is not a Redis lock store."""
    from rasa.core.lock_store import RedisLockStore

    lock_store = getattr(agent, "lock_store", None)
    if isinstance(lock_store, RedisLockStore):
        return RedisClaims(lock_store.red, lock_store.key_prefix)
    return None


async def handle_once(sender: str, message_id: str, claims: RedisClaims | None,
                      events: Callable[[], Awaitable[Iterable[Event] | None]],
                      process: Callable[[], Awaitable[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """The reply to the message: replayed if the conversation already has it (``events()`` reads
    the stored tracker's events), else ``process()``'s. With ``claims``, only while holding the
    message's claim."""
    token = await claims.acquire(sender, message_id) if claims else None
    renewal = asyncio.ensure_future(claims.keep(sender, message_id, token)) if claims else None
    try:
        turn = answered_turn(await events() or (), message_id)
        if turn is not None:
            logger.info("webchat: message %s of %s was already handled; answered again", message_id, sender)
            return await replay(sender, turn)
        return await process()
    finally:
        if renewal is not None:
            renewal.cancel()
        if claims and token:
            try:
                await claims.release(sender, message_id, token)
            except Exception:  # the claim then lapses after CLAIM_SECONDS
                logger.exception("webchat: could not release the claim on message %s of %s", message_id, sender)
