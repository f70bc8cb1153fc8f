"""The action server's replies are validated as Rasa does, with the schema checked once (rasa_addons)."""
import jsonschema
import pytest

import rasa_addons  # noqa: F401  (installs the kept validator, as Rasa's import of the tracker store does)
from rasa_addons import action_validation

GOOD = {"events": [{"event": "slot", "name": "last_topic", "value": "vem_kan_soka"}],
        "responses": [{"text": "Kommuner och regioner kan söka."}]}


def remote_action():
    from rasa.core.actions.action import RemoteAction

    return RemoteAction("action_answer_question", None)


def test_a_valid_reply_passes_and_an_invalid_one_fails_with_rasas_explanation():
    action = remote_action()
    assert action._validate_action_result(GOOD) is True
    with pytest.raises(jsonschema.ValidationError) as error:
        action._validate_action_result({"events": [{"event": "no-such-event"}]})
    assert "Failed to validate Action server response" in error.value.message
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": "not a list"})


def test_the_schema_is_checked_once_not_for_every_reply(monkeypatch):
    checks = []
    validator_class = type(action_validation.response_validator())
    original = validator_class.check_schema.__func__
    monkeypatch.setattr(validator_class, "check_schema",
                        classmethod(lambda cls, schema: checks.append(1) or original(cls, schema)))
    action = remote_action()
    for _ in range(5):
        action._validate_action_result(GOOD)
    assert checks == []
