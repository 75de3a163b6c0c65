"""Response generation that honours the citizen's script: Traditional input gets Traditional text.

Configured in endpoints.yml as ``nlg: {type: bot.nlg.BilingualNLG}``. Responses (the domain's and
those in bot/responses/ that actions send) are chosen by the ``language`` slot through conditional
variants; this class adds the action responses and converts the chosen Chinese text (and button
titles, the response's own and those a custom action sends with it) to Traditional characters when
the ``script`` slot says so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from knowledge_base.text import to_traditional

ACTION_RESPONSES = Path(__file__).with_name("responses")


def action_responses(folder: Path = ACTION_RESPONSES) -> Dict[Text, List[Dict[Text, Any]]]:
    """Responses that only custom actions send (kept out of the domain so that
    ``rasa data validate`` does not flag them as unused by stories)."""
    responses: Dict[Text, List[Dict[Text, Any]]] = {}
    for path in sorted(folder.glob("*.yml")):
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses", {}))
    return responses


class BilingualNLG(TemplatedNaturalLanguageGenerator):
    """Domain responses, converted to Traditional Chinese for Traditional-script users."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain=None) -> None:
        from bot import payload_validation, resilience, speedups
        from bot.settings import Settings
        from service_desk import log_masking

        resilience.install()  # a failing action server gets the citizen an apology, not silence
        log_masking.install()  # and the log lines about it carry no personal data
        payload_validation.install()  # button payloads' slot values checked against known ids
        if Settings.from_env().speedups:  # RASA_SPEEDUPS=off serves as stock Rasa does (make bench)
            speedups.install()
        super().__init__(domain.responses if domain else {})

    @property
    def responses(self) -> Dict[Text, List[Dict[Text, Any]]]:
        return self._responses

    @responses.setter
    def responses(self, domain_responses: Dict[Text, List[Dict[Text, Any]]]) -> None:
        # Rasa's agent replaces ``responses`` with the domain's when a model loads: keep ours too.
        self._responses = {**action_responses(), **(domain_responses or {})}

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Optional[Dict[Text, Any]]:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if tracker.get_slot("language") == "zh" and tracker.get_slot("script") == "traditional":
            if response:
                response = convert_response(response)
            convert_action_buttons(kwargs.get("buttons"))
        return response


def convert_response(response: Dict[Text, Any]) -> Dict[Text, Any]:
    """Traditional-Chinese copy of a generated response (text and button titles)."""
    converted = dict(response)
    if converted.get("text"):
        converted["text"] = to_traditional(converted["text"])
    if converted.get("buttons"):
        converted["buttons"] = [{**b, "title": to_traditional(b.get("title", ""))} for b in converted["buttons"]]
    return converted


def convert_action_buttons(buttons: Any) -> None:
    """Converts, in place, the titles of the buttons a custom action sent with a response.

    Rasa (``RemoteAction._utter_responses``) passes the action's message to ``generate`` as
    keyword arguments, then appends the action's ``buttons`` list (the same objects) to the
    generated response: converting the returned response cannot reach them, so their titles are
    converted where they are.
    """
    for button in buttons or []:
        if isinstance(button, dict) and button.get("title"):
            button["title"] = to_traditional(button["title"])
