"""Server-side speed-ups for Rasa 3.6 that change no behaviour (docs/performance.md).

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
        _compiled_check()(result)
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


def install() -> None:
    """Replaces Rasa's per-call schema validation of action responses (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from rasa.core.actions.action import RemoteAction

    _action_response_validator()
    _compiled_check()
    RemoteAction._validate_action_result = _validate_action_result
    _INSTALLED = True
