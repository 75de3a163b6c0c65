"""One error boundary for custom actions on the Rasa server (installed by bot.nlg.BilingualNLG).

Rasa 3.6 logs a failing custom action and carries on with no events: the citizen gets no reply at
all (an empty answer on the web, "typing…" for ever on Telegram). Here a failure of the action
server — down, timing out, answering with an error or an invalid response — becomes the
``utter_service_unavailable`` response in the citizen's language, and the failure is still logged.
A rejection (``ActionExecutionRejection``, part of Rasa's normal flow) is left alone.
"""
from __future__ import annotations

import logging
from typing import Any, List

logger = logging.getLogger(__name__)

UNAVAILABLE = "utter_service_unavailable"
_ORIGINAL_RUN = None


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


def install() -> None:
    """Wraps ``RemoteAction.run`` with the error boundary (idempotent)."""
    global _ORIGINAL_RUN
    from rasa.core.actions.action import RemoteAction

    if _ORIGINAL_RUN is not None:
        return
    _ORIGINAL_RUN = RemoteAction.run
    RemoteAction.run = _run_with_boundary
