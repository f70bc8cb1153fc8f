"""Faults with the real servers: the action server killed mid-form, the tracker database lost
mid-run. (A Rasa restart mid-form is tests/test_live_bot.py::test_conversation_survives_a_restart_mid_form.)"""
import os
import shutil
import signal
import subprocess
import sys

import pytest
from conftest import ROOT, trained_model
from live import LiveBot, texts, wait_until_up
from test_live_bot import FORM_ANSWERS, QUESTION_MARKERS, answer_all, start_sketch

from channels.rest import FAILURE_TEXT


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    live = LiveBot(tmp_path_factory.mktemp("faults"), trained_model()).start()
    yield live
    live.stop()


def kill_action_server(bot):
    actions = bot.processes[0]
    assert "scripts/action_server.py" in actions.args
    actions.send_signal(signal.SIGKILL)
    actions.wait(timeout=30)


def start_action_server(bot):
    log = bot.workdir / "actions.log"
    actions = subprocess.Popen([sys.executable, "scripts/action_server.py"], cwd=ROOT, env=bot.env,
                               stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    bot.processes[0] = actions
    wait_until_up(f"http://127.0.0.1:{bot.action_port}/health", actions, 90, log)


def test_action_server_killed_mid_form_apologises_then_carries_on_at_the_same_question(bot):
    sender = "fault-actions"
    start_sketch(bot, sender)
    answer_all(bot, sender, FORM_ANSWERS[:3])  # question 4 is next
    kill_action_server(bot)
    try:
        reply = texts(bot.say(sender, FORM_ANSWERS[3][1]))
        assert reply.startswith(FAILURE_TEXT), reply  # not silence
        assert QUESTION_MARKERS["coordination"] not in reply
    finally:
        start_action_server(bot)
    # The same answer sent again (at once) is read as the answer to question 4.
    reply = texts(bot.say(sender, FORM_ANSWERS[3][1]))
    assert QUESTION_MARKERS["coordination"] in reply, reply
    summary = answer_all(bot, sender, FORM_ANSWERS[4:])
    for _, answer in FORM_ANSWERS:
        assert answer in summary


def test_tracker_database_lost_mid_run_apologises_and_recovers_when_it_returns(bot):
    sender = "fault-database"
    start_sketch(bot, sender)
    answer_all(bot, sender, FORM_ANSWERS[:2])  # question 3 is next
    database = bot.workdir / "tracker.db"
    away = bot.workdir / "tracker.db.away"
    # SQLite opens the file for every session: a folder in its place makes each open fail.
    os.replace(database, away)
    database.mkdir()
    try:
        for _ in range(2):  # every turn while it is gone, not just the first
            reply = texts(bot.say(sender, FORM_ANSWERS[2][1]))
            assert reply.startswith(FAILURE_TEXT), reply
    finally:
        shutil.rmtree(database)
        os.replace(away, database)
    reply = texts(bot.say(sender, FORM_ANSWERS[2][1]))
    assert QUESTION_MARKERS["target_group"] in reply, reply
    summary = answer_all(bot, sender, FORM_ANSWERS[3:])
    for _, answer in FORM_ANSWERS:
        assert answer in summary
