"""Faults at submit: SMTP down (the outbox keeps and retries, exactly one mail), bad SMTP
settings (refused when the action server starts), a full disk or an unwritable DRAFTS_DIR
(the idea maker is told to try again, nothing half-written stays)."""
import email
import errno
import os
import subprocess
import sys
import time

import pytest
from aiosmtpd.controller import Controller
from conftest import ROOT
from live import free_port, wait_until_up
from rasa_sdk.events import SlotSet
from test_actions import COMPLETE, run

from actions import sketch_form
from finsam import draft as draft_module
from finsam import mailer
from finsam.draft import DraftStore
from finsam.outbox import Outbox


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def smtp_env(port):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
            "KANSLI_EMAIL": "kansli@example.se", "SMTP_FROM": "bot@example.se"}


@pytest.fixture
def smtp_port(monkeypatch):
    """A port with no SMTP server yet (connections are refused) and the bot's settings for it."""
    port = free_port()
    for name, value in smtp_env(port).items():
        monkeypatch.setenv(name, value)
    return port


def start_smtp(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def submit(dispatcher, tracker_factory, domain, slots=COMPLETE):
    tracker = tracker_factory("skicka", intent="confirm_submit", slots=slots)
    return run(sketch_form.ActionSubmitSketch(), dispatcher, tracker, domain)


def test_smtp_down_at_submit_keeps_the_draft_and_delivers_it_exactly_once_later(
        dispatcher, tracker_factory, domain, drafts_dir, smtp_port, knowledge):
    [event] = submit(dispatcher, tracker_factory, domain)
    reference = event["value"]
    assert reference in dispatcher.messages[-1]["text"]
    assert "ligger nu hos förbundets kansli" in dispatcher.messages[-1]["text"]
    assert (drafts_dir / reference / "draft.docx").exists()
    outbox = Outbox(drafts_dir)
    assert [e.reference for e in outbox.pending()] == [reference]
    send = mailer.sender_for(mailer.settings_from_env())
    assert outbox.deliver_pending(send) == 0  # still down: still waiting
    assert [e.reference for e in outbox.pending()] == [reference]

    controller, inbox = start_smtp(smtp_port)
    try:
        assert outbox.deliver_pending(send) == 1
        assert outbox.deliver_pending(send) == 0
        # The same sketch submitted again (a double click) sends nothing new.
        submit(dispatcher, tracker_factory, domain)
        assert outbox.deliver_pending(send) == 0
    finally:
        controller.stop()
    [mail] = inbox.messages
    assert reference in mail["Subject"]
    assert mail["Message-ID"] == f"<{reference}-v1@finsam-ideskiss>"
    assert outbox.pending() == []


def test_with_smtp_up_the_submit_delivers_at_once(dispatcher, tracker_factory, domain, drafts_dir, smtp_port):
    controller, inbox = start_smtp(smtp_port)
    try:
        [event] = submit(dispatcher, tracker_factory, domain)
    finally:
        controller.stop()
    assert "har skickats till förbundets kansli" in dispatcher.messages[-1]["text"]
    [mail] = inbox.messages
    assert event["value"] in mail["Subject"]
    assert Outbox(drafts_dir).pending() == []


def test_each_version_is_mailed_once_and_a_failing_one_does_not_block_the_rest(tmp_path, knowledge, smtp_port):
    store, outbox = DraftStore(tmp_path), Outbox(tmp_path)
    first, _ = store.submit("a", COMPLETE, knowledge.idea_sketch, [])
    second, _ = store.submit("a", dict(COMPLETE, title="Ny titel"), knowledge.idea_sketch, [],
                             reference=first.reference)
    other, _ = store.submit("b", dict(COMPLETE, title="Annan idé"), knowledge.idea_sketch, [])
    for stored in (first, second, other, first):
        outbox.add(stored)
    assert len(outbox.pending()) == 3
    tried = []

    def flaky(stored, draft):
        tried.append((stored.reference, stored.version))
        if stored.reference == other.reference and tried.count(tried[-1]) == 1:
            raise ValueError("refused once")

    assert outbox.deliver_pending(flaky) == 2
    assert [(e.reference, e.version) for e in outbox.pending()] == [(other.reference, 1)]
    assert outbox.deliver_pending(flaky) == 1
    assert sorted(tried) == sorted([(first.reference, 1), (first.reference, 2), (other.reference, 1),
                                    (other.reference, 1)])
    assert outbox.add(first) is None and outbox.pending() == []  # sent already: not queued again


def test_an_erased_draft_leaves_the_outbox(tmp_path, knowledge):
    store, outbox = DraftStore(tmp_path), Outbox(tmp_path)
    stored, _ = store.submit("a", COMPLETE, knowledge.idea_sketch, [])
    outbox.add(stored)
    import shutil

    shutil.rmtree(stored.folder)
    assert outbox.deliver_pending(lambda s, d: pytest.fail("nothing to send")) == 0
    assert outbox.pending() == []


@pytest.mark.parametrize("env, variable", [
    ({"SMTP_HOST": "smtp.example.se", "KANSLI_EMAIL": "k@example.se", "SMTP_PORT": "femhundra"}, "SMTP_PORT"),
    ({"SMTP_HOST": "smtp.example.se", "KANSLI_EMAIL": "k@example.se", "SMTP_PORT": "70000"}, "SMTP_PORT"),
    ({"KANSLI_EMAIL": "k@example.se"}, "SMTP_HOST"),
    ({"SMTP_HOST": "smtp.example.se"}, "KANSLI_EMAIL"),
    ({"SMTP_HOST": "smtp.example.se", "KANSLI_EMAIL": "kansliet"}, "KANSLI_EMAIL"),
    ({"SMTP_HOST": "smtp.example.se", "KANSLI_EMAIL": "k@example.se", "SMTP_SECURITY": "tls"}, "SMTP_SECURITY"),
    ({"SMTP_HOST": "smtp.example.se", "KANSLI_EMAIL": "k@example.se", "SMTP_PASSWORD": "x"}, "SMTP_USER"),
    ({"OUTBOX_RETRY_SECONDS": "en minut"}, "OUTBOX_RETRY_SECONDS"),
])
def test_bad_mail_settings_stop_the_action_server_at_start(tmp_path, env, variable):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "KANSLI_EMAIL", "OUTBOX_"))}
    result = subprocess.run([sys.executable, "scripts/action_server.py"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(clean, ACTION_SERVER_PORT=str(free_port()), DRAFTS_DIR=str(tmp_path), **env),
                            timeout=120)
    assert result.returncode == 2
    assert "Action-servern startar inte" in result.stderr and variable in result.stderr
    assert "The action server does not start" in result.stderr
    assert not any(tmp_path.iterdir())  # nothing written


def wait_for(condition, what):
    for _ in range(1200):  # waiting for an event, not measuring time
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen")


def test_the_action_server_retries_the_outbox_in_the_background_until_smtp_is_back(tmp_path, knowledge):
    store, outbox = DraftStore(tmp_path), Outbox(tmp_path)
    stored, _ = store.submit("a", COMPLETE, knowledge.idea_sketch, [])
    outbox.add(stored)
    smtp, port = free_port(), free_port()
    log = tmp_path / "actions.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "scripts/action_server.py"], cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT,
                                  env=dict(os.environ, **smtp_env(smtp), ACTION_SERVER_PORT=str(port),
                                           OUTBOX_RETRY_SECONDS="0.5", DRAFTS_DIR=str(tmp_path),
                                           PYTHONPATH=str(ROOT)))
    controller = None
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", server, 120, log)
        wait_for(lambda: log.read_text().count("SMTP server unavailable") >= 2, "two failed attempts")
        assert [e.reference for e in outbox.pending()] == [stored.reference]  # kept while SMTP is down
        controller, inbox = start_smtp(smtp)
        wait_for(lambda: not outbox.pending(), "delivery")
        wait_for(lambda: inbox.messages, "the mail")
        time.sleep(1.5)  # three more passes: nothing is sent again
    finally:
        server.terminate()
        server.wait(timeout=30)
        if controller:
            controller.stop()
    [mail] = inbox.messages
    assert stored.reference in mail["Subject"]


@pytest.fixture
def no_smtp(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.delenv("KANSLI_EMAIL", raising=False)


def left_behind(folder):
    """Everything in the drafts folder but the index and its lock."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name not in {".index.json", ".index.lock"}) if folder.exists() else []


@pytest.mark.parametrize("how", ["read-only", "below a file"])
def test_an_unwritable_drafts_dir_tells_the_idea_maker_to_try_again(dispatcher, tracker_factory, domain, drafts_dir,
                                                                    no_smtp, monkeypatch, how):
    if how == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders; the other case covers it")
        drafts_dir.mkdir()
        drafts_dir.chmod(0o500)
    else:
        (drafts_dir.parent / "a-file").write_text("x")
        monkeypatch.setenv("DRAFTS_DIR", str(drafts_dir.parent / "a-file" / "drafts"))
    try:
        events = submit(dispatcher, tracker_factory, domain)
    finally:
        if drafts_dir.exists():
            drafts_dir.chmod(0o750)
    assert events == []
    assert [m["text"] for m in dispatcher.messages] == [sketch_form.SUBMIT_FAILED]
    assert left_behind(drafts_dir) == []


@pytest.mark.parametrize("failing", ["docx", "md", "json"])
def test_a_full_disk_at_submit_leaves_no_half_draft_and_a_retry_works(dispatcher, tracker_factory, domain, drafts_dir,
                                                                      no_smtp, monkeypatch, failing):
    real_docx, real_write_text = draft_module.write_docx, type(drafts_dir).write_text

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "docx":
        monkeypatch.setattr(draft_module, "write_docx", full)
    else:
        def write_text(self, data, *args, **kwargs):
            if self.name == f"draft.{failing}":
                full()
            return real_write_text(self, data, *args, **kwargs)

        monkeypatch.setattr(type(drafts_dir), "write_text", write_text)
    assert submit(dispatcher, tracker_factory, domain) == []
    assert [m["text"] for m in dispatcher.messages] == [sketch_form.SUBMIT_FAILED]
    assert "försök igen" in sketch_form.SUBMIT_FAILED
    assert left_behind(drafts_dir) == []

    monkeypatch.setattr(draft_module, "write_docx", real_docx)
    monkeypatch.setattr(type(drafts_dir), "write_text", real_write_text)
    [event] = submit(dispatcher, tracker_factory, domain)
    assert sorted(left_behind(drafts_dir)) == sorted(
        [event["value"]] + [f"{event['value']}/{name}" for name in
                            ("draft.docx", "draft.md", "draft.json", "v1", "v1/draft.docx", "v1/draft.md",
                             "v1/draft.json")])


def test_a_full_disk_while_queuing_the_mail_is_retried_on_the_next_submit(dispatcher, tracker_factory, domain,
                                                                         drafts_dir, smtp_port, monkeypatch):
    real_add = Outbox.add

    def full(self, stored):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Outbox, "add", full)
    assert submit(dispatcher, tracker_factory, domain) == []
    assert dispatcher.messages[-1]["text"] == sketch_form.SUBMIT_FAILED
    monkeypatch.setattr(Outbox, "add", real_add)
    [event] = submit(dispatcher, tracker_factory, domain)  # the same answers: the same draft, now queued
    assert [e.reference for e in Outbox(drafts_dir).pending()] == [event["value"]]


def test_a_full_disk_while_publishing_version_2_leaves_no_partial_copy_and_a_retry_completes(
        dispatcher, tracker_factory, domain, drafts_dir, no_smtp, monkeypatch):
    [first] = submit(dispatcher, tracker_factory, domain)
    reference = first["value"]
    edited = dict(COMPLETE, draft_reference=reference, background="Ny bakgrund: unga bollas mellan myndigheterna.")
    real_copyfile = draft_module.shutil.copyfile

    def copy_then_fail(source, target, *args, **kwargs):
        if str(target).endswith(".draft.json.tmp"):
            with open(target, "w") as half:
                half.write("{")  # half written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copyfile(source, target, *args, **kwargs)

    monkeypatch.setattr(draft_module.shutil, "copyfile", copy_then_fail)
    assert submit(dispatcher, tracker_factory, domain, edited) == []
    assert dispatcher.messages[-1]["text"] == sketch_form.SUBMIT_FAILED
    assert not [p for p in (drafts_dir / reference).iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(draft_module.shutil, "copyfile", real_copyfile)
    assert submit(dispatcher, tracker_factory, domain, edited) == [SlotSet("draft_reference", reference)]
    import json

    assert json.loads((drafts_dir / reference / "draft.json").read_text(encoding="utf-8"))["version"] == 2
