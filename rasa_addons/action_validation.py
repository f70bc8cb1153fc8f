"""Validate the action server's replies with a validator built once, not once per reply.

Rasa 3.6 checks every reply of the action server with `jsonschema.validate(result, schema)`
(RemoteAction._validate_action_result). That call first checks the *schema itself* against
the JSON Schema meta-schema, every time: `make bench --profile` found it taking a fifth of the
Rasa process's CPU in a turn that runs a custom action (an FAQ answer), more than the actual
validation, the HTTP call and the action itself together. Here the schema is checked once and
the validator kept; each reply is validated exactly as before (same schema, the same best-match
error, the same explanation added to its message).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from jsonschema import exceptions
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_validator: Optional[Any] = None


def response_validator() -> Any:
    """The validator for RemoteAction.action_response_format_spec(), its schema checked once."""
    global _validator
    if _validator is None:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    return _validator


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    """Use the kept validator in every RemoteAction of this process (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result
