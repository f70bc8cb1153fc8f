"""Fuzzing (hypothesis): the form's validators, the knowledge renderer, the draft writer's
versions and the channels' request parsing – no exception escapes, no personnummer survives.
(The redaction's own properties are in tests/test_redaction.py; the first draft of any text
in tests/test_draft.py; the mail of any draft in tests/test_mailer.py.)"""
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_draft import _XML_INVALID_OR_NONCHARACTER, PERSONNUMMER, awkward_text, sketch_answers

from channels.rest import MAX_MESSAGE_CHARS, RedactingRestInput, prepare_text
from channels.teams.activities import (
    incoming_text,
    is_personal,
    is_welcome_event,
    parse_activity,
    sender_id_for,
    strip_mentions,
    tenant_of,
)
from finsam.draft import DraftStore
from finsam.knowledge import Topic, get_knowledge
from finsam.redaction import redact_personnummer
from finsam.sketch import (
    OPEN,
    SKETCH_SLOTS,
    answers_from_slots,
    email_from_text,
    field_from_message,
    interpret_turn,
    is_skip,
    resume_point,
    validate_answer,
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
INTENTS = ["inform_sketch", "stop", "sketch_restart", "erase_my_data", "edit_answer", "sketch_back", "affirm",
           "deny", "goodbye", "greet", "thank", "ask_eligibility", "ask_not_covered", "nlu_fallback", "", None]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | awkward_text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(awkward_text, inner, max_size=4),
                           max_leaves=12)
entities = st.lists(st.one_of(
    st.fixed_dictionaries({"entity": st.sampled_from(["PER", "sketch_field", "ORG", "email"]),
                           "value": st.one_of(awkward_text, st.sampled_from(SKETCH_SLOTS), st.integers())}),
    st.dictionaries(awkward_text, json_values, max_size=3)), max_size=4)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def no_personnummer(value):
    return not isinstance(value, str) or redact_personnummer(value)[1] == 0


@FUZZ
@given(slot=st.sampled_from(SKETCH_SLOTS), text=awkward_text, intent=st.sampled_from(INTENTS),
       confidence=st.floats(0, 1), entities=entities, confirming_cancel=st.booleans(), repeated=st.booleans(),
       answer_confidence=st.one_of(st.none(), st.floats(0, 1)), just_welcomed=st.booleans(), answers=sketch_answers)
def test_interpret_turn_never_raises_and_stores_no_personnummer(slot, text, intent, confidence, entities,
                                                               confirming_cancel, repeated, answer_confidence,
                                                               just_welcomed, answers):
    knowledge = get_knowledge()
    turn = interpret_turn(slot, text, intent, confidence, entities=entities, digression_intents=set(knowledge.intents),
                          confirming_cancel=confirming_cancel, limits=knowledge.idea_sketch.get("limits", {}),
                          answers=answers, repeated=repeated, answer_confidence=answer_confidence,
                          just_welcomed=just_welcomed)
    assert turn.kind in {"answer", "retry", "skip", "stay", "back", "ignore", "interrupt"}
    for name, value in turn.slots.items():
        assert no_personnummer(value), (name, value)
        assert not isinstance(value, str) or not _XML_INVALID_OR_NONCHARACTER.search(value)
    if turn.kind == "answer" and slot == "email":
        assert _EMAIL.match(turn.slots[slot])


@FUZZ
@given(slot=st.sampled_from(SKETCH_SLOTS), text=awkward_text, entities=entities,
       limits=st.fixed_dictionaries({}, optional={"min_words": st.integers(0, 10),
                                                  "max_answer_chars": st.integers(1, 6000),
                                                  "max_short_answer_chars": st.integers(1, 400)}))
def test_validate_answer_never_raises_and_keeps_its_limits(slot, text, entities, limits):
    turn = validate_answer(slot, text, entities, limits)
    value = turn.slots.get(slot)
    assert turn.kind in {"answer", "retry"}
    assert (value is None) == (turn.kind == "retry")
    assert no_personnummer(value)


@FUZZ
@given(text=awkward_text, entities=entities, slots=st.dictionaries(st.sampled_from(SKETCH_SLOTS),
                                                                    st.one_of(st.none(), st.just(OPEN), awkward_text)))
def test_the_small_readers_never_raise(text, entities, slots):
    address = email_from_text(text)
    assert address is None or _EMAIL.match(address)
    assert field_from_message(text, entities) in set(SKETCH_SLOTS) | {None}
    assert isinstance(is_skip(text), bool)
    assert isinstance(resume_point(slots), str)
    assert list(answers_from_slots(slots)) == list(SKETCH_SLOTS)


@FUZZ
@given(answer=awkward_text, period=st.one_of(st.none(), awkward_text), key=st.sampled_from(
    ["empty_message", "kansli"]))
def test_the_knowledge_renderer_takes_any_answer_text(answer, period, key):
    knowledge = get_knowledge()
    topic = knowledge.topics[0]
    fuzzed = Topic(**{**vars(topic), "answer": answer, "period": period})
    rendered = knowledge.render_answer(fuzzed)
    assert rendered.endswith(knowledge.source_line(fuzzed))
    assert isinstance(knowledge.message(key), str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=sketch_answers, second=sketch_answers)
def test_any_edit_of_any_draft_becomes_its_next_version(tmp_path_factory, knowledge, first, second):
    store = DraftStore(tmp_path_factory.mktemp("fuzz-version"))
    stored, _ = store.submit("fuzz", first, knowledge.idea_sketch, [])
    again, draft = store.submit("fuzz", second, knowledge.idea_sketch, [], reference=stored.reference)
    assert again.reference == stored.reference
    assert again.version in (1, 2)
    written = again.json.read_text(encoding="utf-8")
    assert json.loads(written) == draft
    assert not _XML_INVALID_OR_NONCHARACTER.search(written)
    assert redact_personnummer(written)[1] == 0


@FUZZ
@given(value=st.one_of(json_values, awkward_text.map(lambda t: "ord " * (MAX_MESSAGE_CHARS // 4 - 2) + t)))
def test_prepare_text_takes_anything(value):
    try:
        text, reply = prepare_text(value)
    except TypeError:
        assert value is not None and not isinstance(value, str)
        return
    assert (text == "") == (reply is not None)
    assert no_personnummer(text)


@pytest.fixture(scope="module")
def channel_server():
    from channel_server import ChannelServer

    from channels.web import WebChatInput

    server = ChannelServer([RedactingRestInput(), WebChatInput(rate_limit=100_000)]).start()
    yield server
    server.stop()


bodies = st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                   st.fixed_dictionaries({"sender": st.one_of(awkward_text, json_values),
                                          "message": st.one_of(awkward_text, json_values)}).map(
                       lambda v: json.dumps(v).encode()),
                   st.fixed_dictionaries({"sender": st.just("fuzz-1"), "message": awkward_text}).map(
                       lambda v: json.dumps(v).encode()))


@settings(FUZZ, max_examples=100)  # each example is an HTTP request
@given(body=bodies, channel=st.sampled_from(["rest", "web"]))
def test_the_rest_and_web_channels_answer_any_body_and_hand_rasa_no_personnummer(channel_server, body, channel):
    before = len(channel_server.received)
    if channel == "rest":
        status, _, reply = channel_server.call("POST", "/webhooks/rest/webhook", body)
    else:
        status, _, reply = channel_server.call("POST", "/webhooks/web/message", body,
                                               {"X-Finsam-Session": "a" * 43})
    assert status in (200, 400, 429), (status, reply)  # never a 500
    assert isinstance(reply, (list, dict)), reply  # JSON, with a Swedish text or error
    for message in channel_server.received[before:]:
        assert no_personnummer(message.text) and message.text.strip()


teams_activity = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "conversationUpdate", "installationUpdate"]),
     "conversation": st.fixed_dictionaries({"id": awkward_text},
                                           optional={"conversationType": json_values, "tenantId": json_values}),
     "serviceUrl": st.just("https://smba.trafficmanager.net/emea/")},
    optional={"text": st.one_of(awkward_text, json_values,
                                awkward_text.map(lambda t: f"<at>Finsam</at> {t}"),
                                st.sampled_from(PERSONNUMMER).map(lambda p: f"{p[:4]}&#{ord(p[4])};{p[5:]}")),
              "entities": json_values, "from": json_values, "channelData": json_values, "recipient": json_values,
              "membersAdded": json_values, "action": json_values, "id": json_values})


@FUZZ
@given(activity=st.one_of(teams_activity, json_values.map(lambda v: {"value": v})),
       raw=st.one_of(st.none(), st.binary(max_size=100)))
def test_teams_activity_parsing_takes_anything_and_hands_rasa_no_personnummer(activity, raw):
    if raw is not None:
        assert parse_activity(raw) is None or isinstance(parse_activity(raw), dict)
    parsed = parse_activity(json.dumps(activity).encode())
    if parsed is None:
        return
    text = incoming_text(parsed)
    assert isinstance(text, str)
    assert no_personnummer(redact_personnummer(text)[0])  # what the channel hands to Rasa
    assert sender_id_for(parsed).startswith("teams-")
    assert tenant_of(parsed) is None or isinstance(tenant_of(parsed), str)
    assert isinstance(is_personal(parsed), bool)
    assert isinstance(is_welcome_event(parsed, "app-id"), bool)
    assert isinstance(strip_mentions(text, parsed.get("entities") if isinstance(parsed.get("entities"), list)
                                     else None), str)

