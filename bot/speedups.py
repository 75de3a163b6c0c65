"""Server-side speed-ups for Rasa 3.6 that change no behaviour (docs/performance.md): action
responses validated by a compiled schema, and the session start run in-process
(bot/session_start.py: the same events as the action server's, without the round trip).

Rasa 3.6 checks every action server response with ``jsonschema.validate(result, schema)``.
That call first re-checks the *schema itself* against the JSON-Schema meta-schema and builds a
new validator, on every action of every message: half of the server's CPU under load. Here the
same schema is compiled once into Python code (fastjsonschema); every response is still
validated in full. A response the compiled check rejects is validated again by jsonschema, so a
bad response fails exactly as before, with Rasa's own error message. Installed by
:class:`bot.nlg.BilingualNLG` when the server loads its endpoints (explicitly, not on import),
so ``rasa run``, ``rasa shell`` and ``rasa test`` all use it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

_INSTALLED = False


@lru_cache(maxsize=None)
def _compiled_check():
    import fastjsonschema
    from rasa.core.actions.action import RemoteAction

    return fastjsonschema.compile(RemoteAction.action_response_format_spec())


@lru_cache(maxsize=None)
def _discriminated_checks():
    """The same schema split on each event's type: the response without its events' ``oneOf``,
    and one compiled check per event type (its ``oneOf`` branch with the common properties).

    Equivalent to the whole schema because every branch of that ``oneOf`` fixes ``event`` to a
    different constant and ``event`` is required: an event is valid exactly when the branch of its
    own type accepts it. Checking one branch instead of all of them (twenty-three, for a ``oneOf``)
    is what saves the time."""
    import fastjsonschema
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    items = spec["properties"]["events"]["items"]
    branches = items["oneOf"]
    consts = [b["properties"]["event"]["const"] for b in branches]
    if len(set(consts)) != len(consts) or "event" not in items.get("required", ()):
        return None  # another Rasa's schema: not provably equivalent, use the whole one
    common = {k: v for k, v in items.items() if k != "oneOf"}
    per_type = {c: fastjsonschema.compile({**common, "allOf": [b]}) for c, b in zip(consts, branches)}
    top = {**spec, "properties": {**spec["properties"], "events": {"type": "array", "items": {"type": "object"}}}}
    return fastjsonschema.compile(top), per_type


def _fast_check(result: Any) -> None:
    """Raises ``JsonSchemaException`` where the whole schema would (see ``_discriminated_checks``)."""
    from fastjsonschema import JsonSchemaException

    checks = _discriminated_checks()
    if checks is None:
        _compiled_check()(result)
        return
    top, per_type = checks
    top(result)
    for event in result.get("events") or ():
        check = per_type.get(event.get("event")) if isinstance(event.get("event"), str) else None
        if check is None:
            raise JsonSchemaException("unknown event type")
        check(event)


@lru_cache(maxsize=None)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    """Same contract as ``RemoteAction._validate_action_result``, with a compiled validator."""
    from fastjsonschema import JsonSchemaException
    from jsonschema import ValidationError
    from rasa.core.actions.action import DOCS_BASE_URL

    try:
        _fast_check(result)
        return True
    except JsonSchemaException:
        pass  # let jsonschema decide and word the error
    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def _in_process_lookup(original):
    """``action_for_name_or_text`` that runs the session start in-process (bot/session_start.py)
    when the domain's is this project's custom one; every other action is looked up as before."""
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME

    from bot.session_start import SessionStartKeepingContext

    def action_for_name_or_text(action_name_or_text, domain, action_endpoint):
        if (action_name_or_text == ACTION_SESSION_START_NAME
                and action_name_or_text in domain.user_actions_and_forms):
            return SessionStartKeepingContext()
        return original(action_name_or_text, domain, action_endpoint)

    action_for_name_or_text.__wrapped__ = original
    return action_for_name_or_text


def install() -> None:
    """Replaces Rasa's per-call schema validation of action responses and runs the session start
    in-process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from rasa.core.actions import action
    from rasa.core.actions.action import RemoteAction

    _action_response_validator()
    _compiled_check()
    _discriminated_checks()
    RemoteAction._validate_action_result = _validate_action_result
    action.action_for_name_or_text = _in_process_lookup(action.action_for_name_or_text)
    _INSTALLED = True
