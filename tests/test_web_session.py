"""The web session key (issue 10, item 6) on a real Sanic server in this process with a fake
Rasa (tests/channel_server.py): it travels in a header only, expires when idle, "Avsluta och
glöm" ends it for good, and drafts are downloaded through short-lived signed links. The widget
side (sessionStorage, the visible control) is tested in Chromium in tests/test_web_widget.py."""
from __future__ import annotations

import json
import time

import pytest
from channel_server import ChannelServer

from channels.web import SESSION_HEADER, WebChatInput

REFERENCE = "IDS-20250101-ABCDEFGHIJKLMNOP"


@pytest.fixture
def web(monkeypatch, tmp_path):
    monkeypatch.setenv("DRAFTS_DIR", str(tmp_path / "drafts"))
    for name in ("TRUSTED_PROXY", "REDIS_URL", "REDIS_HOST", "DRAFT_LINK_SECRET", "WEB_SESSION_IDLE_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "drafts" / REFERENCE
    folder.mkdir(parents=True)
    (folder / "draft.json").write_text("{}")
    (folder / "draft.md").write_text("# Gemensam väg till arbete\n")
    (folder / "draft.docx").write_bytes(b"PK fake docx")
    server = ChannelServer([WebChatInput()]).start()
    yield server
    server.stop()


def new_session(web) -> str:
    status, _, body = web.call("POST", "/webhooks/web/session", {})
    assert status == 200
    return body["session"]


def say(web, session, text="hej", **extra):
    return web.call("POST", "/webhooks/web/message", {"message": text, **extra}, {SESSION_HEADER: session})


def history(web, session):
    return web.call("GET", "/webhooks/web/history", headers={SESSION_HEADER: session})


def test_the_session_key_is_taken_from_the_header_only(web):
    session = new_session(web)
    assert say(web, session)[0] == 200
    # In the URL or in the body it is not accepted: it would land in logs and history.
    status, _, body = web.call("POST", "/webhooks/web/message", {"session": session, "message": "hej"})
    assert status == 400 and "Ogiltig session" in body["error"]
    status, _, body = web.call("GET", f"/webhooks/web/history?session={session}")
    assert status == 400
    status, _, body = history(web, session)
    assert status == 200 and [m["sender"] for m in body["messages"]] == ["user", "bot"]


def test_cors_preflight_allows_the_session_header():
    from channels.web import WebChatInput as Channel

    class Request:
        headers = {"origin": "https://www.finsam-blekinge.example"}

    channel = Channel(allowed_origins={"https://www.finsam-blekinge.example"})
    headers = channel._cors_headers(Request, preflight=True)
    assert SESSION_HEADER in headers["Access-Control-Allow-Headers"]


def test_end_and_forget_makes_the_key_useless(web):
    session = new_session(web)
    assert say(web, session, "Mitt namn är Anna")[0] == 200
    assert "Anna" in web.agent.tracker_store.store[session]  # stored as JSON (ä escaped)
    status, _, body = web.call("POST", "/webhooks/web/end", {}, {SESSION_HEADER: session})
    assert status == 200 and body == {"ended": True, "erased": True}
    # Erased, and only the marker that refuses the key is left.
    assert "Anna" not in web.agent.tracker_store.store[session]
    status, _, body = history(web, session)
    assert status == 400 and "avslutat" in body["error"]
    status, _, body = say(web, session, "hej igen")
    assert status == 400 and "avslutat" in body["error"]
    assert len(web.received) == 1  # nothing more reached Rasa
    # Ending twice, or a key that never wrote anything, is harmless.
    assert web.call("POST", "/webhooks/web/end", {}, {SESSION_HEADER: session})[0] == 200
    assert web.call("POST", "/webhooks/web/end", {}, {SESSION_HEADER: new_session(web)})[0] == 200


def test_an_idle_key_expires(web):
    session = new_session(web)
    assert say(web, session)[0] == 200
    tracker = web.agent.tracker_store.store[session]
    # Age the stored conversation beyond the idle limit (120 minutes by default).
    events = json.loads(tracker)
    for event in events["events"]:
        event["timestamp"] -= 121 * 60
    web.agent.tracker_store.store[session] = json.dumps(events)
    status, _, body = history(web, session)
    assert status == 400 and "inaktivt" in body["error"]
    assert say(web, session)[0] == 400


def test_drafts_are_downloaded_through_short_lived_signed_links(web, monkeypatch):
    web.replies = [{"text": f"Klart! Referens {REFERENCE}.", "custom": {"draft_reference": REFERENCE}}]
    session = new_session(web)
    status, _, body = say(web, session, "/confirm_submit")
    [message] = [m for m in body["messages"] if m.get("draft_url")]
    url = message["draft_url"]
    assert url.startswith(f"drafts/{REFERENCE}/draft.docx?expires=") and "&sig=" in url
    assert session not in url and session not in message["draft_md_url"]
    status, headers, content = web.call("GET", f"/webhooks/web/{url}")
    assert status == 200 and content == b"PK fake docx"
    assert f"ideskiss-{REFERENCE}.docx" in headers["Content-Disposition"]
    status, _, content = web.call("GET", f"/webhooks/web/{message['draft_md_url']}")
    assert status == 200 and b"Gemensam" in content
    # The history carries fresh signed links too.
    [item] = [m for m in history(web, session)[2]["messages"] if m.get("draft_url")]
    assert web.call("GET", f"/webhooks/web/{item['draft_url']}")[0] == 200

    path, query = url.split("?")
    params = dict(part.split("=") for part in query.split("&"))
    forged = [f"{path}", f"{path}?expires={params['expires']}",
              f"{path}?expires={int(params['expires']) + 3600}&sig={params['sig']}",
              f"drafts/{REFERENCE}/draft.md?{query}",  # signed for the .docx only
              f"{path}?session={session}"]
    for attempt in forged:
        status, _, body = web.call("GET", f"/webhooks/web/{attempt}")
        assert status == 403 and "gått ut" in body["error"], attempt
    expired = int(time.time()) - 1
    channel = next(c for c in web.channels if isinstance(c, WebChatInput))
    old_sig = channel.links._signature(REFERENCE, "draft.docx", expired)
    assert web.call("GET", f"/webhooks/web/{path}?expires={expired}&sig={old_sig}")[0] == 403

    # A fresh link on request, for this conversation's draft only.
    status, _, body = web.call("POST", "/webhooks/web/draft-link", {"reference": REFERENCE, "file": "draft.md"},
                               {SESSION_HEADER: session})
    assert status == 200 and body["url"].startswith(f"drafts/{REFERENCE}/draft.md?expires=")
    assert web.call("GET", f"/webhooks/web/{body['url']}")[0] == 200
    status, _, _ = web.call("POST", "/webhooks/web/draft-link", {"reference": REFERENCE, "file": "draft.md"},
                            {SESSION_HEADER: new_session(web)})
    assert status == 404
    status, _, _ = web.call("POST", "/webhooks/web/draft-link", {"reference": REFERENCE, "file": "draft.json"},
                            {SESSION_HEADER: session})
    assert status == 404


def test_the_widget_notice_states_the_periods_this_installation_keeps(web, monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.setenv("WEB_SESSION_IDLE_MINUTES", "45")
    monkeypatch.setenv("WEB_RESUME_DAYS", "7")
    status, _, body = web.call("GET", "/webhooks/web/widget.js")
    script = body.decode("utf-8")
    assert status == 200
    assert "gallras efter 30 dagar" in script and "efter 45 minuter utan" in script and "(7 dagar)" in script
    assert "90 dagar" not in script and "två timmar" not in script
    assert not any(marker in script for marker in ("{dagar}", "{timmar}", "{koddagar}"))
