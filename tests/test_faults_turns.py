"""A turn in which Rasa swallows a failure (action server or tracker store) gets the apology;
the message sent again afterwards is read as the answer, not as a double tap."""
import asyncio
import logging

from rasa.core.channels.channel import CollectingOutputChannel

from actions.sketch_form import _repeated
from channels import failures
from channels.rest import FAILURE_TEXT, collect_replies, failure_text


def rasa_turn(log_name=None, message=None, reply="Fråga 4 av 8"):
    async def on_new_message(user_message):
        if log_name:
            logging.getLogger(log_name).error(message)
        await user_message.output_channel.send_text_message(user_message.sender_id, reply)
    return on_new_message


def test_a_swallowed_action_failure_makes_the_turn_fail():
    on_new_message = rasa_turn("rasa.core.processor", "Encountered an exception while running action "
                               "'validate_idea_sketch_form'.Bot will continue, but the actions events are lost.")
    assert asyncio.run(collect_replies(on_new_message, "s", "svar", "rest")) is None
    assert failure_text().startswith(FAILURE_TEXT)


def test_a_swallowed_tracker_store_failure_makes_the_turn_fail():
    for message in ("Error happened when trying to retrieve conversation tracker from 'X'. Falling back",
                    "Error happened when trying to save conversation tracker to 'X'. Falling back"):
        on_new_message = rasa_turn("rasa.core.tracker_store", message)
        assert asyncio.run(collect_replies(on_new_message, "s", "svar", "rest")) is None


def test_other_errors_and_other_turns_are_not_counted():
    assert asyncio.run(collect_replies(rasa_turn("rasa.core.processor", "Some other error"), "s", "x", "rest")) == [
        {"recipient_id": "s", "text": "Fråga 4 av 8"}]
    # Outside a watched turn the same record flags nothing (and a later turn starts clean).
    logging.getLogger("rasa.core.processor").error("Encountered an exception while running action 'x'.")
    assert asyncio.run(collect_replies(rasa_turn(), "s", "x", "rest", CollectingOutputChannel()))[0]["text"]


def test_concurrent_turns_only_see_their_own_failure():
    async def both():
        async def failing(user_message):
            await asyncio.sleep(0.01)
            logging.getLogger("rasa.core.processor").error("Encountered an exception while running action 'a'.")

        async def fine(user_message):
            await asyncio.sleep(0.02)
            await user_message.output_channel.send_text_message(user_message.sender_id, "ok")

        return await asyncio.gather(collect_replies(failing, "a", "x", "rest"), collect_replies(fine, "b", "y", "rest"))

    assert asyncio.run(both()) == [None, [{"recipient_id": "b", "text": "ok"}]]
    failures.install()
    assert sum(isinstance(h, failures._FailureWatch) for h in logging.getLogger("rasa.core.processor").handlers) == 1


def tracker_with(events):
    from conftest import make_tracker

    tracker = make_tracker("svar")
    tracker.events = events
    return tracker


def user(text, at):
    return {"event": "user", "text": text, "timestamp": at}


def bot(text, at):
    return {"event": "bot", "text": text, "timestamp": at}


def test_a_message_sent_again_after_a_failed_turn_is_not_a_double_tap():
    answered = [user("Navet", 100.0), bot("Fråga 4 av 8", 100.5), user("Navet", 102.0)]
    assert _repeated(tracker_with(answered), 10)
    failed = [user("Navet", 100.0), {"event": "action", "name": "idea_sketch_form", "timestamp": 100.2},
              user("Navet", 102.0)]
    assert not _repeated(tracker_with(failed), 10)
