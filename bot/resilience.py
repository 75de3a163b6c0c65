"""Error boundaries on the Rasa server, so that no turn ends in silence (installed by
bot.nlg.BilingualNLG).

Rasa 3.6 logs a failing custom action and carries on with no events: the citizen gets no reply at
all (an empty answer on the web, "typing…" for ever on Telegram). Here a failure of the action
server — down, timing out, answering with an error or an invalid response — becomes the
``utter_service_unavailable`` response in the citizen's language, and the failure is still logged.
A rejection (``ActionExecutionRejection``, part of Rasa's normal flow) is left alone.

Two more boundaries, around the whole turn:

* ``Agent.handle_message`` (every channel's way in): a turn that fails — the tracker store cannot
  be read or written (SQLite locked past its busy timeout, PostgreSQL down or restarting) or the
  lock store is unreachable (Redis down) — gets ``utter_turn_failed`` ("please send it again") in
  the citizen's language instead of an empty answer. Nothing of the turn was stored, so replies
  collected before the failure are dropped: the citizen resends and the turn runs whole. No
  tracker can be read then; the language is the channel's ``metadata.language`` or that of the
  message text. Counted in ``FAILED_TURNS`` and logged as ``turn failed``.
* ``MessageProcessor._run_prediction_loop``: a turn that ended with no bot message (the policies
  predicted ``action_listen`` at once) gets ``utter_no_reply``, stored with the turn (its summary
  row's outcome is ``fallback``). Paused conversations (a human agent has them) and session
  starts stay silent. Counted in ``EMPTY_TURNS`` and logged as ``turn without a reply``.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which logs a failure and carries on:
a tracker that cannot be read becomes a new, empty conversation (the citizen is answered without
the context of the conversation, e.g. asked again which service), and a tracker that cannot be
written goes to an in-memory store on this replica only (the citizen sees an answer that the
conversation store never gets: the next turn, on any replica, has lost it). Both become
``TrackerStoreUnavailable`` here, so the turn fails as a whole and gets ``utter_turn_failed``.

Both boundaries recover by themselves: the next message goes through the same path once the
database or Redis is back (the SQL tracker store's pool pings its connections before use).

Last, Rasa's ticket lock is fixed for a replica that dies holding a conversation's lock
(:func:`_is_locked`): the next message waits for the dead ticket to lapse
(``TICKET_LOCK_LIFETIME``), not for ever.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, List

logger = logging.getLogger(__name__)

UNAVAILABLE = "utter_service_unavailable"
TURN_FAILED = "utter_turn_failed"
NO_REPLY = "utter_no_reply"
_ORIGINAL_RUN = None
_ORIGINAL_HANDLE = None
_ORIGINAL_LOOP = None
FAILED_TURNS = 0  # turns that failed as a whole (this process)
EMPTY_TURNS = 0  # turns that produced no message (this process)


async def _run_with_boundary(self, output_channel, nlg, tracker, domain) -> List[Any]:
    from rasa.core.actions.action import ActionExecutionRejection, ActionSessionStart, create_bot_utterance

    try:
        return await _ORIGINAL_RUN(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception:
        if self.name() == ActionSessionStart().name():  # start the session Rasa's own way, silently
            logger.exception("custom %s failed; Rasa's default session start is used", self.name())
            return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        logger.exception("custom action %s failed; the citizen is told the service is unavailable", self.name())
        try:
            response = await nlg.generate(UNAVAILABLE, tracker, output_channel.name())
        except Exception:
            logger.exception("could not render %s", UNAVAILABLE)
            return []
        return [create_bot_utterance(response)] if response else []


class TrackerStoreUnavailable(Exception):
    """The conversation store could not be read or written; the turn fails (no silent fallback)."""


def _describe(error: BaseException) -> str:
    """``Type: message`` on one line, at most 200 characters, without SQLAlchemy's statement and
    parameters (``[SQL: ...]``) that may follow it."""
    text = " ".join(str(error).split("[SQL:")[0].split())
    return f"{type(error).__name__}: {text[:200]}"


def _fail_the_turn(self, error: Exception) -> None:
    """``FailSafeTrackerStore``'s error callback: raise instead of carrying on without the store."""
    raise TrackerStoreUnavailable(_describe(error)) from error


def _is_locked(self, ticket_number: int) -> bool:
    """``TicketLock.is_locked``: locked while an earlier ticket is live.

    Rasa's version (``now_serving != ticket_number``) never lets a waiter in whose own ticket
    expired while it waited: when a replica dies holding a conversation's lock in Redis, the next
    message's ticket, issued within a second of the dead one, expires in the same poll as the dead
    one, ``now_serving`` becomes 0 and the waiter spins until its client gives up (found by the
    replica-kill test: every retry of a conversation in flight on the killed replica got a 504).
    For a live ticket the two agree."""
    self.remove_expired_tickets()
    return any(t.number < ticket_number for t in self.tickets)


def message_language(message) -> str:
    """zh or en for a message whose tracker cannot be read: the channel's choice, else the text's."""
    from knowledge_base.text import detect_language

    chosen = (message.metadata or {}).get("language") if isinstance(message.metadata, dict) else None
    if chosen in ("zh", "en"):
        return chosen
    try:
        return detect_language(message.text or "").lang
    except Exception:  # never let the apology fail for want of a language
        return "zh"


async def _render(nlg, name: str, sender_id: str, language: str, channel_name: str):
    """Response ``name`` for a conversation whose tracker is not at hand (only ``language`` set)."""
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.slots import AnySlot
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender_id, [AnySlot("language", mappings=[])])
    tracker.update(SlotSet("language", language))
    return await nlg.generate(name, tracker, channel_name)


async def _handle_with_boundary(self, message):
    from rasa.core.channels.channel import CollectingOutputChannel

    global FAILED_TURNS
    channel = message.output_channel
    # Rasa's streaming REST output channel is a CollectingOutputChannel whose messages are a queue
    collecting = isinstance(channel, CollectingOutputChannel) and isinstance(channel.messages, list)
    before = len(channel.messages) if collecting else 0
    try:
        return await _ORIGINAL_HANDLE(self, message)
    except asyncio.CancelledError:
        raise
    except Exception as error:
        FAILED_TURNS += 1
        language = message_language(message)
        logger.error("turn failed (%s); the citizen is asked to send the message again [language=%s, "
                     "failed turns=%d]", _describe(error), language, FAILED_TURNS)
        logger.debug("turn failure", exc_info=True)
        if collecting:  # nothing of the turn was stored: its partial answer goes too
            del channel.messages[before:]
        try:
            response = await _render(self.nlg, TURN_FAILED, message.sender_id, language, channel.name())
            if response:
                response["utter_action"] = TURN_FAILED
                await channel.send_response(message.sender_id, response)
        except Exception:
            logger.exception("could not send %s", TURN_FAILED)
        return channel.messages if collecting else None


def _ends_silently(tracker) -> bool:
    """True if the latest user message got no bot message and should have had one."""
    from rasa.shared.core.constants import USER_INTENT_RESTART, USER_INTENT_SESSION_START
    from rasa.shared.core.events import BotUttered, UserUttered

    if tracker.is_paused():  # a human agent has the conversation: the bot stays quiet
        return False
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return False
        if isinstance(event, UserUttered):
            return event.intent_name not in (USER_INTENT_SESSION_START, USER_INTENT_RESTART)
    return False


def _keep_the_language(tracker) -> None:
    """A turn taken back ("/back" reverts the last turns) takes its language slot with it, back to
    the session's default: the citizen's language is that of their last message in words (a
    payload has none), so the apology is in it too."""
    from rasa.shared.core.events import SlotSet, UserUttered

    for event in reversed(tracker.events):
        if not isinstance(event, UserUttered):
            continue
        found = next((e.get("value") for e in event.entities or [] if e.get("entity") == "language"), None)
        if found in ("zh", "en"):
            if tracker.get_slot("language") != found:
                tracker.update(SlotSet("language", found))
            return


async def _loop_with_reply(self, output_channel, tracker) -> None:
    from rasa.core.actions.action import create_bot_utterance

    global EMPTY_TURNS
    await _ORIGINAL_LOOP(self, output_channel, tracker)
    if not _ends_silently(tracker):
        return
    EMPTY_TURNS += 1
    intent = tracker.latest_message.intent.get("name") if tracker.latest_message else None
    logger.warning("turn without a reply (intent %s); the citizen gets %s [empty turns=%d]",
                   intent, NO_REPLY, EMPTY_TURNS)
    _keep_the_language(tracker)
    try:
        response = await self.nlg.generate(NO_REPLY, tracker, output_channel.name())
    except Exception:
        logger.exception("could not render %s", NO_REPLY)
        return
    if response:
        response["utter_action"] = NO_REPLY
        event = create_bot_utterance(response)
        await self.execute_side_effects([event], tracker, output_channel)  # sends it
        tracker.update(event)  # and it is stored with the turn


def install() -> None:
    """Wraps ``RemoteAction.run``, ``Agent.handle_message`` and the processor's prediction loop
    with the error boundaries, and makes tracker-store failures fail the turn (idempotent)."""
    global _ORIGINAL_RUN, _ORIGINAL_HANDLE, _ORIGINAL_LOOP
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock import TicketLock
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import FailSafeTrackerStore

    if _ORIGINAL_RUN is not None:
        return
    _ORIGINAL_RUN = RemoteAction.run
    RemoteAction.run = _run_with_boundary
    _ORIGINAL_HANDLE = Agent.handle_message
    Agent.handle_message = _handle_with_boundary
    _ORIGINAL_LOOP = MessageProcessor._run_prediction_loop
    MessageProcessor._run_prediction_loop = _loop_with_reply
    FailSafeTrackerStore.on_tracker_store_error = _fail_the_turn
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _fail_the_turn
    TicketLock.is_locked = _is_locked
