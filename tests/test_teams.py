"""The Microsoft Teams channel (the channels/teams package) and the Teams app package.

End to end: the real action server and Rasa run with bot/credentials.yml, talking to a local
fake of the Bot Framework (OpenID metadata, JWKS, token endpoint and a Teams serviceUrl that
captures replies), with tokens signed by an RSA key made in the test. Then the pure helpers,
and the package script.
"""
from __future__ import annotations

import asyncio
import base64
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from urllib.parse import parse_qs, unquote

import aiohttp
import jwt
import pytest
import yaml
from conftest import ROOT, trained_model
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from live import LiveBot

from channels import teams
from channels.teams import (
    AuthError,
    SigningKeys,
    TeamsInput,
    TeamsSettings,
    check_activity,
    sender_id_for,
    signing_key_id,
    verify_token,
)
from channels.teams import channel as teams_channel
from finsam.knowledge import get_knowledge

APP_ID = "5f2b7c1e-3d4a-4b6c-9e8f-0a1b2c3d4e5f"
APP_PASSWORD = "test-app-password-not-a-secret"
TENANT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
OTHER_TENANT = "11111111-2222-4333-8444-555555555555"
ISSUER = "https://api.botframework.com"
KID = "test-signing-key"
UNENDORSED_KID = "test-key-without-endorsements"
BOT = {"id": f"28:{APP_ID}", "name": "Finsam"}
WEBHOOK = "/webhooks/teams/webhook"
LONG_PARAGRAPHS = [f"Stycke {n}. " + " ".join(["Kansliet svarar gärna på frågor om ansökan."] * 15)
                   for n in range(1, 13)]


ENDORSED = ["msteams", "webchat", "directline"]


def public_jwk(private_key, kid: str, endorsements: list | None = ENDORSED) -> dict:
    jwk_dict = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    # Microsoft's keys list the channels they may sign for; the same keys sign Web Chat too.
    jwk = {**jwk_dict, "kid": kid, "use": "sig"}
    if endorsements is not None:
        jwk["endorsements"] = endorsements
    return jwk


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeBotFramework:
    """Local stand-in for login.botframework.com, the Entra token endpoint and a Teams serviceUrl."""

    def __init__(self) -> None:
        self.key = new_key()
        self.unendorsed_key = new_key()  # published without endorsements: must be refused
        self.keys = [public_jwk(self.key, KID), public_jwk(self.unendorsed_key, UNENDORSED_KID, None)]
        self.hits: Counter = Counter()
        self.token_requests: list = []
        self.replies: list = []  # (unquoted path, Authorization header, activity)
        self.reply_statuses: list = []  # statuses to answer the next replies with (default 200)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/teams/"

    def start(self) -> FakeBotFramework:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                with fake.lock:
                    fake.hits[self.path] += 1
                if self.path == "/openid":
                    self._json(200, {"issuer": ISSUER, "jwks_uri": f"{fake.url}/keys",
                                     "id_token_signing_alg_values_supported": ["RS256"]})
                elif self.path == "/keys":
                    self._json(200, {"keys": list(fake.keys)})
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    with fake.lock:
                        fake.token_requests.append(form)
                    if form.get("client_secret") != APP_PASSWORD:
                        self._json(401, {"error": "invalid_client"})
                    else:
                        self._json(200, {"token_type": "Bearer", "expires_in": 3599,
                                         "access_token": "fake-bot-access-token"})
                elif self.path.startswith("/teams/v3/conversations/"):
                    with fake.lock:
                        fake.replies.append((unquote(self.path), self.headers.get("Authorization"),
                                             json.loads(body)))
                        status = fake.reply_statuses.pop(0) if fake.reply_statuses else 200
                    self._json(status, {"id": f"reply-{uuid.uuid4().hex[:8]}"})
                else:
                    self._json(404, {})

        return Handler

    def token(self, key=None, kid: str = KID, **claims) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": APP_ID, "serviceurl": self.service_url, "nbf": now - 10,
                   "iat": now - 10, "exp": now + 3600}
        payload.update(claims)
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid})

    def replies_to(self, conversation_id: str) -> list:
        with self.lock:
            return [activity for path, _, activity in self.replies
                    if path.startswith(f"/teams/v3/conversations/{conversation_id}/activities")]


def message(conversation: str, text: str, activity_id: str | None = None, tenant: str = TENANT,
            service_url: str | None = None, entities: list | None = None, user: str = "29:user-anna",
            channel: str = "msteams", conversation_type: str = "personal") -> dict:
    return {
        "type": "message", "id": activity_id or f"1{uuid.uuid4().int % 10**12}", "channelId": channel,
        "timestamp": "2025-05-05T08:00:00.000Z", "serviceUrl": service_url or FAKE.service_url,
        "from": {"id": user, "name": "Anna Svensson", "aadObjectId": str(uuid.uuid4())},
        "recipient": BOT,
        "conversation": {"id": conversation, "conversationType": conversation_type, "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}}, "text": text, "textFormat": "plain",
        "entities": entities or [],
    }


FAKE: FakeBotFramework  # set by the `fake` fixture; message() needs its serviceUrl


@pytest.fixture(scope="module")
def fake():
    global FAKE
    FAKE = FakeBotFramework().start()
    yield FAKE
    FAKE.stop()


@pytest.fixture(scope="module")
def bot(fake, tmp_path_factory):
    knowledge = tmp_path_factory.mktemp("teams-knowledge") / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    faq = yaml.safe_load((knowledge / "faq.yml").read_text(encoding="utf-8"))
    for topic in faq["topics"]:
        if topic["intent"] == "ask_contact":  # one answer far longer than a Teams message
            topic["answer"] = "\n\n".join(LONG_PARAGRAPHS)
    (knowledge / "faq.yml").write_text(yaml.safe_dump(faq, allow_unicode=True, sort_keys=False), encoding="utf-8")
    live = LiveBot(tmp_path_factory.mktemp("teams-live"), trained_model(), extra_env={
        "MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": APP_PASSWORD, "MICROSOFT_APP_TENANT_ID": TENANT,
        "TEAMS_OPENID_METADATA_URL": f"{fake.url}/openid", "TEAMS_TOKEN_ENDPOINT": f"{fake.url}/token",
        "TEAMS_ALLOWED_TENANTS": f"{TENANT}, {TENANT.upper()}", "TEAMS_HTTP_TIMEOUT": "5",
        "KNOWLEDGE_DIR": str(knowledge),
    }).start()
    fake.hits_at_start = Counter(fake.hits)
    yield live
    live.stop()


def deliver(bot, activity, token: str | None = "valid"):
    if token == "valid":
        token = FAKE.token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return bot.post(WEBHOOK, activity, headers)


def tracker_events(bot, activity, type_name: str = "user") -> list:
    with sqlite3.connect(bot.env["TRACKER_DB"]) as db:
        try:
            rows = db.execute("select data from events where sender_id = ? and type_name = ?",
                              (sender_id_for(activity), type_name)).fetchall()
        except sqlite3.OperationalError:  # no conversation stored yet at all
            return []
    return [json.loads(row[0]) for row in rows]


def reply_text(replies: list) -> str:
    texts = [r.get("text") or "" for r in replies]
    texts += [a["content"].get("text") or "" for r in replies for a in r.get("attachments") or []]
    return "\n".join(texts)


# --------------------------------------------------------------------------- end to end


def test_keys_are_fetched_lazily_not_at_start_up(bot, fake):
    assert fake.hits_at_start["/openid"] == 0 and fake.hits_at_start["/keys"] == 0


def test_signed_message_gets_a_swedish_answer_posted_to_the_service_url(bot, fake):
    activity = message("a:conv-faq", "Vem kan söka medel?")
    status, body = deliver(bot, activity)
    assert status == 200, body
    replies = fake.replies_to("a:conv-faq")
    assert replies and "minst två" in reply_text(replies)
    with fake.lock:
        paths_and_auth = [(p, a) for p, a, r in fake.replies if r in replies]
    for path, authorization in paths_and_auth:
        assert path == f"/teams/v3/conversations/a:conv-faq/activities/{activity['id']}"
        assert authorization == "Bearer fake-bot-access-token"
    reply = replies[0]
    assert reply["type"] == "message" and reply["replyToId"] == activity["id"]
    assert reply["from"] == BOT and reply["recipient"] == {"id": "29:user-anna"}
    assert reply["conversation"] == {"id": "a:conv-faq"}
    # The answer and its source line arrive as one Teams message.
    assert "Källa:" in replies[0]["text"]


def test_the_bot_token_comes_from_the_token_endpoint_once(bot, fake):
    assert deliver(bot, message("a:conv-token", "Vem kan söka medel?"))[0] == 200
    assert deliver(bot, message("a:conv-token", "Vilka kriterier gäller?"))[0] == 200
    assert len(fake.token_requests) == 1
    assert fake.token_requests[0] == {"grant_type": "client_credentials", "client_id": APP_ID,
                                      "client_secret": APP_PASSWORD,
                                      "scope": "https://api.botframework.com/.default"}


def test_mentions_are_stripped_before_rasa_sees_the_text(bot, fake):
    activity = message("19:team-thread@thread.tacv2;messageid=1700000000000",
                       "<at>Finsam</at> Vem kan söka medel?",
                       entities=[{"type": "mention", "text": "<at>Finsam</at>", "mentioned": BOT}])
    assert deliver(bot, activity)[0] == 200
    assert "minst två" in reply_text(fake.replies_to(activity["conversation"]["id"]))
    assert [e["text"] for e in tracker_events(bot, activity)] == ["Vem kan söka medel?"]


def test_personnummer_are_redacted_before_rasa_sees_the_text(bot, fake):
    activity = message("a:conv-pnr", "Mitt personnummer är 19850101-1234. Vem kan söka medel?")
    assert deliver(bot, activity)[0] == 200
    stored = json.dumps(tracker_events(bot, activity), ensure_ascii=False)
    assert "19850101" not in stored and "[personnummer borttaget]" in stored


def test_a_retried_activity_is_processed_once(bot, fake):
    activity = message("a:conv-retry", "Vem kan söka medel?")
    results = []
    first = threading.Thread(target=lambda: results.append(deliver(bot, activity)))
    first.start()
    time.sleep(0.2)
    results.append(deliver(bot, activity))  # Teams retries while the first is still being answered
    first.join()
    results.append(deliver(bot, activity))  # and once more afterwards
    assert [status for status, _ in results] == [200, 200, 200]
    replies = fake.replies_to("a:conv-retry")
    assert len(replies) == 1 and "minst två" in replies[0]["text"]
    assert len(tracker_events(bot, activity)) == 1


def test_bot_added_to_a_conversation_sends_one_welcome_with_buttons(bot, fake):
    conversation = {"id": "a:conv-welcome", "conversationType": "personal", "tenantId": TENANT}
    common = {"channelId": "msteams", "serviceUrl": fake.service_url, "from": {"id": "29:user-anna"},
              "recipient": BOT, "conversation": conversation, "channelData": {"tenant": {"id": TENANT}}}
    update = {**common, "type": "conversationUpdate", "id": "f:welcome-1", "membersAdded": [BOT]}
    installed = {**common, "type": "installationUpdate", "id": "f:welcome-2", "action": "add"}
    assert deliver(bot, update)[0] == 200
    assert deliver(bot, installed)[0] == 200  # Teams sends both on install: still one welcome
    replies = fake.replies_to("a:conv-welcome")
    assert len(replies) == 1
    card = replies[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.hero"
    assert "digitala assistent" in card["content"]["text"]
    assert tracker_events(bot, update) == []  # the welcome does not touch the conversation in Rasa

    other = {**common, "type": "conversationUpdate", "id": "f:welcome-3",
             "conversation": {**conversation, "id": "a:conv-someone-else"},
             "membersAdded": [{"id": "29:user-bertil"}]}
    assert deliver(bot, other)[0] == 200
    assert fake.replies_to("a:conv-someone-else") == []


def test_buttons_arrive_as_message_back_actions_that_send_the_payload(bot, fake):
    added = {"type": "conversationUpdate", "id": "f:buttons-1", "channelId": "msteams",
             "serviceUrl": fake.service_url, "from": {"id": "29:user-anna"}, "recipient": BOT,
             "conversation": {"id": "a:conv-buttons", "tenantId": TENANT}, "membersAdded": [BOT]}
    assert deliver(bot, added)[0] == 200
    buttons = fake.replies_to("a:conv-buttons")[0]["attachments"][0]["content"]["buttons"]
    assert {"type": "messageBack", "title": "Skriv en idéskiss", "text": "/start_sketch",
            "displayText": "Skriv en idéskiss"} in buttons
    assert all(b["type"] == "messageBack" and b["text"].startswith("/") for b in buttons)
    # What Teams sends when the user clicks "Vem kan söka medel?"
    click = next(b for b in buttons if b["text"] == "/ask_who_can_apply")
    activity = message("a:conv-buttons", click["text"])
    assert deliver(bot, activity)[0] == 200
    assert "minst två" in reply_text(fake.replies_to("a:conv-buttons")[1:])
    assert [e["parse_data"]["intent"]["name"] for e in tracker_events(bot, activity)] == ["ask_who_can_apply"]


def test_a_long_answer_is_split_at_paragraph_boundaries(bot, fake):
    activity = message("a:conv-long", "/ask_contact")
    assert deliver(bot, activity)[0] == 200
    parts = [r["text"] for r in fake.replies_to("a:conv-long")]
    assert len(parts) >= 3
    assert all(len(part) <= teams.MAX_REPLY_CHARS for part in parts)
    paragraphs = [p for part in parts for p in part.split("\n\n")]
    assert paragraphs[:12] == LONG_PARAGRAPHS and paragraphs[12].startswith("Källa:")


def feedback_rows(bot) -> list:
    with sqlite3.connect(bot.env["TRACKER_DB"]) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in db.execute("select * from finsam_feedback order by id")]
        except sqlite3.OperationalError:  # nobody rated anything yet
            return []


def feedback_buttons(replies: list) -> dict:
    """rating -> the 👍/👎 card action under the answer in these replies."""
    actions = [b for r in replies for a in r.get("attachments") or [] for b in a["content"].get("buttons") or []]
    return {b["value"]["finsam_feedback"]: b for b in actions
            if isinstance(b.get("value"), dict) and "finsam_feedback" in b["value"]}


def click(conversation: str, button: dict, **kwargs) -> dict:
    """What Teams posts when the user clicks a messageBack button."""
    return {**message(conversation, button["text"], **kwargs), "value": button["value"]}


def test_an_answer_gets_thumbs_buttons_and_thumbs_down_is_stored_masked_without_sender(bot, fake):
    conversation = "a:conv-feedback"
    question = message(conversation, "Vem kan söka medel? Svara till anna.svensson@example.se eller 0455-123 45")
    assert deliver(bot, question)[0] == 200
    replies = fake.replies_to(conversation)
    buttons = feedback_buttons(replies)
    assert set(buttons) == {"up", "down"}
    assert buttons["up"]["title"] == "👍 Bra svar" and buttons["down"]["title"] == "👎 Dåligt svar"
    assert all(b["type"] == "messageBack" and b["value"]["answer_id"] for b in buttons.values())
    assert "attachments" in replies[0] and replies[0]["text"]  # the answer itself is still the message text
    user_turns = len(tracker_events(bot, question))
    before = feedback_rows(bot)

    assert deliver(bot, click(conversation, buttons["down"]))[0] == 200
    rows = feedback_rows(bot)[len(before):]
    assert len(rows) == 1
    row = rows[0]
    assert row["channel"] == "teams" and row["rating"] == "down"
    assert row["question"] == "Vem kan söka medel? Svara till [e-post] eller [telefon]"
    assert row["answer"] in [e["text"] for e in tracker_events(bot, question, "bot")]
    assert set(row) == {"id", "created", "channel", "rating", "question", "answer"}  # no sender column
    stored = json.dumps(row, ensure_ascii=False)
    assert "29:user-anna" not in stored and sender_id_for(question) not in stored and "anna.svensson" not in stored
    # The click is not a message for Rasa; the user is thanked.
    assert len(tracker_events(bot, question)) == user_turns
    assert fake.replies_to(conversation)[-1]["text"] == "Tack för återkopplingen!"


def test_rating_an_answer_the_conversation_never_got_is_refused(bot, fake):
    asked = "a:conv-feedback-asked"
    assert deliver(bot, message(asked, "Vem kan söka medel?"))[0] == 200
    answer = fake.replies_to(asked)
    assert "minst två" in answer[0]["text"] and "Källa:" in answer[0]["text"]  # a FAQ answer, with 👍/👎
    assert set(feedback_buttons(answer)) == {"up", "down"}
    down = feedback_buttons(answer)["down"]
    before = len(feedback_rows(bot))
    answer_id = down["value"]["answer_id"]
    for forged in (click("a:conv-feedback-other", down),  # another conversation replays the value
                   click(asked, down, user="29:user-bertil"),  # someone else in the same conversation
                   click(asked, {**down, "value": {"finsam_feedback": "down", "answer_id": "0" * 16}}),
                   click(asked, {**down, "value": {"finsam_feedback": "meh", "answer_id": answer_id}})):
        assert deliver(bot, forged)[0] == 200
    assert tracker_events(bot, click("a:conv-feedback-other", down)) == []
    assert len(feedback_rows(bot)) == before
    assert fake.replies_to("a:conv-feedback-other")[-1]["text"] == "Det svaret finns inte i det här samtalet."
    assert [r["text"] for r in fake.replies_to(asked)[-3:]] == [
        "Det svaret finns inte i det här samtalet.", "Det svaret finns inte i det här samtalet.",
        "Återkopplingen ska vara 👍 eller 👎."]
    assert len(tracker_events(bot, message(asked, ""))) == 1  # only the question reached Rasa


def test_other_activity_types_are_acknowledged_and_ignored(bot, fake):
    for kind in ("typing", "messageReaction", "messageUpdate", "invoke"):
        activity = {**message(f"a:conv-{kind}", "hej"), "type": kind}
        assert deliver(bot, activity)[0] == 200
        assert fake.replies_to(f"a:conv-{kind}") == []
        assert tracker_events(bot, activity) == []


def test_a_rotated_signing_key_is_fetched_once_and_accepted(bot, fake):
    rotated = new_key()
    fake.keys.append(public_jwk(rotated, "rotated-key"))
    before = fake.hits["/keys"]
    activity = message("a:conv-rotated", "Vem kan söka medel?")
    status, _ = deliver(bot, activity, token=fake.token(key=rotated, kid="rotated-key"))
    assert status == 200
    assert fake.hits["/keys"] == before + 1
    assert "minst två" in reply_text(fake.replies_to("a:conv-rotated"))


def _alg_none_token() -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    return part({"alg": "none", "typ": "JWT", "kid": KID}) + "." + part(
        {"iss": ISSUER, "aud": APP_ID, "serviceurl": FAKE.service_url, "exp": now + 3600}) + "."


FORGERIES = {
    "no Authorization header": lambda: None,
    "bad signature (other key, same kid)": lambda: FAKE.token(key=new_key()),
    "wrong audience": lambda: FAKE.token(aud=str(uuid.uuid4())),
    "wrong issuer": lambda: FAKE.token(iss="https://evil.example.com"),
    "expired": lambda: FAKE.token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200),
    "serviceurl claim mismatch": lambda: FAKE.token(serviceurl="https://evil.example.com/teams/"),
    "tenant not in allow-list": lambda: FAKE.token(),
    "alg none": _alg_none_token,
    "HS256 signed with the app password": lambda: jwt.encode(
        {"iss": ISSUER, "aud": APP_ID, "serviceurl": FAKE.service_url, "exp": int(time.time()) + 3600},
        APP_PASSWORD, algorithm="HS256", headers={"kid": KID}),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_or_foreign_requests_get_401_and_reach_nothing(bot, fake, case):
    conversation = f"a:conv-forged-{abs(hash(case)) % 10**8}"
    tenant = OTHER_TENANT if case == "tenant not in allow-list" else TENANT
    activity = message(conversation, "Vem kan söka medel?", tenant=tenant)
    with fake.lock:
        posted_before = len(fake.replies)
    status, body = deliver(bot, activity, token=FORGERIES[case]())
    assert status == 401 and body.get("error"), body
    time.sleep(0.2)
    with fake.lock:
        assert len(fake.replies) == posted_before
    assert tracker_events(bot, activity) == []
    # A legitimate request for the same conversation still goes through afterwards.
    if case != "tenant not in allow-list":
        assert deliver(bot, activity)[0] == 200


def _posted_count(fake) -> int:
    with fake.lock:
        return len(fake.replies)


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator", None])
def test_signed_activities_from_other_channels_claiming_an_allowed_tenant_are_refused(bot, fake, channel):
    # The same Azure Bot's Web Chat and Direct Line get tokens signed by the same (endorsed) keys
    # and may write any tenant into channelData: only Teams activities count.
    activity = message(f"a:conv-{channel}", "Vem kan söka medel?", channel=channel)
    before = _posted_count(fake)
    status, body = deliver(bot, activity)
    assert status == 401 and "Teams" in body["error"], body
    assert _posted_count(fake) == before and tracker_events(bot, activity) == []
    # The control: the same activity from Teams is answered.
    control = message(f"a:conv-{channel}-control", "Vem kan söka medel?")
    assert deliver(bot, control)[0] == 200 and "minst två" in reply_text(fake.replies_to(control["conversation"]["id"]))


def test_a_key_without_endorsements_is_refused(bot, fake):
    activity = message("a:conv-unendorsed", "Vem kan söka medel?")
    before = _posted_count(fake)
    status, body = deliver(bot, activity, token=fake.token(key=fake.unendorsed_key, kid=UNENDORSED_KID))
    assert status == 401 and "Nyckeln" in body["error"], body
    assert _posted_count(fake) == before and tracker_events(bot, activity) == []


def test_in_a_team_channel_the_sketch_does_not_run_and_nothing_personal_is_posted(bot, fake):
    thread = "19:finsam-team@thread.tacv2;messageid=1700000000001"
    replies_before = len(fake.replies_to(thread))
    for text in ("jag har en idé", "/start_sketch", "Gemensam väg till arbete", "Anna Svensson",
                 "anna@example.se", "/confirm_submit"):
        activity = message(thread, text, conversation_type="channel")
        assert deliver(bot, activity)[0] == 200
    replies = fake.replies_to(thread)[replies_before:]
    posted = reply_text(replies)
    assert posted.count("personlig chatt") >= 3  # every attempt to start is sent to a personal chat
    for private in ("anna@example.se", "Anna Svensson", "Gemensam väg", "Fråga 1 av", "Här är din idéskiss"):
        assert private not in posted, private
    events = json.dumps(tracker_events(bot, activity, "active_loop"))
    assert "idea_sketch_form" not in events
    # Questions are still answered in the channel.
    question = message(thread, "Vem kan söka medel?", conversation_type="channel")
    assert deliver(bot, question)[0] == 200
    assert "minst två" in reply_text(fake.replies_to(thread)[replies_before + len(replies):])


def test_echoed_user_text_is_no_markdown_link_in_teams(bot, fake):
    conversation = "a:conv-markdown"
    title = "**Gemensam väg** [till jobb](http://evil.example)"

    def say(text):
        before = len(fake.replies_to(conversation))
        assert deliver(bot, message(conversation, text))[0] == 200
        return reply_text(fake.replies_to(conversation)[before:])

    reply = say("jag har en idé")
    reply = say(title)
    for turn in range(25):
        if "Här är din idéskiss" in reply:
            break
        # Alternate: the form ignores the same message sent twice within a few seconds.
        reply = say("anna@example.se" if "e-post" in reply else ("vet inte", "hoppa över")[turn % 2])
    assert "Här är din idéskiss" in reply
    assert "till jobb" in reply and "](http" not in reply.replace("\\]", "")
    assert "\\*\\*Gemensam väg\\*\\*" in reply and "\\[till jobb\\]" in reply  # as typed, not bold or a link
    assert "[till jobb](http://evil.example)" not in reply and "**Gemensam väg**" not in reply


def test_a_valid_token_with_a_broken_body_is_refused(bot, fake):
    status, body = bot.post(WEBHOOK, b"not json", {"Authorization": f"Bearer {fake.token()}"})
    assert status == 400 and body["error"]


def test_credentials_file_enables_the_teams_channel():
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text(encoding="utf-8"))
    assert "channels.teams.TeamsInput" in credentials
    assert not credentials["channels.teams.TeamsInput"]  # secrets stay in the environment


# --------------------------------------------------------------------------- the channel in process


def run(coroutine):
    return asyncio.run(coroutine)


async def _never_called(message):
    raise AssertionError("Rasa must not be reached")


def test_unconfigured_channel_answers_503_and_processes_nothing():
    channel = TeamsInput(TeamsSettings.from_env({}))
    body = json.dumps({"type": "message", "text": "hej", "serviceUrl": "https://x.example/",
                       "conversation": {"id": "a:1"}}).encode()
    status, body = run(channel.process("Bearer x.y.z", body, _never_called))
    assert status == 503 and "MICROSOFT_APP_ID" in body["error"]
    assert TeamsInput.name() == "teams"


def test_authentication_comes_before_reading_the_body():
    channel = TeamsInput(TeamsSettings(app_id=APP_ID, app_password=APP_PASSWORD))
    status, body = run(channel.process(None, b"not json", _never_called))
    assert status == 401 and "Bearer" in body["error"]


def test_settings_come_from_the_environment_with_defaults():
    settings = TeamsSettings.from_env({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "pw",
                                       "MICROSOFT_APP_TENANT_ID": TENANT,
                                       "TEAMS_ALLOWED_TENANTS": f" {TENANT.upper()} , ,{OTHER_TENANT}",
                                       "TEAMS_HTTP_TIMEOUT": "2.5"})
    assert settings.token_endpoint == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert settings.openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert settings.issuer == "https://api.botframework.com" and settings.jwks_url == ""
    assert settings.allowed_tenants == {TENANT, OTHER_TENANT}
    assert settings.http_timeout == 2.5 and settings.problem() is None
    assert "pw" not in repr(settings)
    assert TeamsSettings.from_env({"TEAMS_HTTP_TIMEOUT": "soon"}).http_timeout == 10.0
    assert "MICROSOFT_APP_PASSWORD" in TeamsSettings.from_env({"MICROSOFT_APP_ID": APP_ID}).problem()


SERVICE_URL = "https://smba.trafficmanager.net/emea/"
KEY = new_key()
SETTINGS = TeamsSettings(app_id=APP_ID, app_password=APP_PASSWORD, allowed_tenants=frozenset({TENANT}))


def signed(key=KEY, kid=KID, **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "exp": now + 600, "nbf": now - 5}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm="RS256",
                      headers={"kid": kid})


def test_token_helpers_accept_a_good_token_and_bind_it_to_the_activity():
    jwk = public_jwk(KEY, KID)
    token = signed()
    assert signing_key_id(token) == KID
    claims = verify_token(token, jwk, SETTINGS)
    activity = {"serviceUrl": SERVICE_URL, "channelId": "msteams", "channelData": {"tenant": {"id": TENANT}}}
    check_activity(claims, activity, jwk, SETTINGS)
    check_activity(claims, {**activity, "serviceUrl": SERVICE_URL.rstrip("/")}, jwk, SETTINGS)
    with pytest.raises(AuthError):
        check_activity(claims, {**activity, "serviceUrl": "https://evil.example.com/"}, jwk, SETTINGS)
    with pytest.raises(AuthError):
        check_activity(claims, {**activity, "channelId": "sms"}, jwk, SETTINGS)  # not Teams
    for channel in ("webchat", "directline", None):  # endorsed by the key, but not Teams
        with pytest.raises(AuthError):
            check_activity(claims, {**activity, "channelId": channel}, jwk, SETTINGS)
    for endorsements in (None, [], ["webchat"], "msteams"):  # the key must endorse msteams
        with pytest.raises(AuthError):
            check_activity(claims, activity, public_jwk(KEY, KID, endorsements), SETTINGS)
    with pytest.raises(AuthError):
        check_activity(claims, {**activity, "channelData": {}, "conversation": {"tenantId": OTHER_TENANT}},
                       jwk, SETTINGS)
    plain = verify_token(signed(serviceurl="http://203.0.113.5/"), jwk, SETTINGS)
    with pytest.raises(AuthError):  # our bot token would travel in clear text
        check_activity(plain, {**activity, "serviceUrl": "http://203.0.113.5/"}, jwk, SETTINGS)


# Tokens are minted inside the test, never at collection: a "not yet valid" token made when
# pytest collects becomes valid within the clock-skew leeway if the test runs minutes later.
BAD_TOKENS = {
    "wrong audience": lambda: signed(aud="someone-else"),
    "wrong issuer": lambda: signed(iss="https://login.example.com"),
    "expired": lambda: signed(exp=int(time.time()) - 900),
    "not yet valid": lambda: signed(nbf=int(time.time()) + 900, exp=int(time.time()) + 1800),
    "no expiry": lambda: signed(exp=None),
    "other key": lambda: signed(key=new_key()),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_verify_token_rejects_bad_claims_and_signatures(case):
    with pytest.raises(AuthError):
        verify_token(BAD_TOKENS[case](), public_jwk(KEY, KID), SETTINGS)


def _collection_time_calls(path) -> list:
    """Calls in `@pytest.mark.parametrize(...)` arguments that read the clock or mint a token."""
    import ast

    clock_or_token = {"time", "signed", "token", "now", "utcnow"}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and "parametrize" in ast.unparse(decorator.func)):
                continue
            for argument in decorator.args[1:]:
                for call in ast.walk(argument):
                    name = getattr(getattr(call, "func", None), "attr", None) or \
                        getattr(getattr(call, "func", None), "id", None)
                    if isinstance(call, ast.Call) and name in clock_or_token and \
                            not _inside_lambda(argument, call):
                        found.append(f"{path.name}:{call.lineno} {node.name}")
    return found


def _inside_lambda(tree, target) -> bool:
    import ast

    return any(target in ast.walk(lam) for lam in ast.walk(tree) if isinstance(lam, ast.Lambda))


def test_no_test_mints_time_dependent_tokens_at_collection():
    offenders = [hit for path in sorted((ROOT / "tests").glob("test_*.py")) for hit in _collection_time_calls(path)]
    assert offenders == []


def test_verify_token_allows_small_clock_skew():
    verify_token(signed(exp=int(time.time()) - 60, nbf=int(time.time()) + 60), public_jwk(KEY, KID), SETTINGS)


@pytest.mark.parametrize("token", [
    jwt.encode({"aud": APP_ID}, APP_PASSWORD, algorithm="HS256", headers={"kid": KID}),
    jwt.encode({"aud": APP_ID}, None, algorithm="none", headers={"kid": KID}),
    jwt.encode({"aud": APP_ID}, KEY, algorithm="RS512", headers={"kid": KID}),
    jwt.encode({"aud": APP_ID}, KEY, algorithm="RS256"),  # no kid
    "not-a-token",
])
def test_only_rs256_tokens_with_a_key_id_get_as_far_as_a_key_lookup(token):
    with pytest.raises(AuthError):
        signing_key_id(token)


def test_bearer_header_parsing():
    assert teams.bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert teams.bearer_token("bearer  abc") == "abc"
    for header in (None, "", "Basic dXNlcjpwdw==", "Bearer", "Bearer a b"):
        with pytest.raises(AuthError):
            teams.bearer_token(header)


def test_signing_keys_are_lazy_cached_and_refetched_once_for_an_unknown_kid():
    now = [1000.0]
    fetched = []
    published = [{"kid": "k1", "kty": "RSA"}]

    async def fetch():
        fetched.append(now[0])
        return list(published)

    async def scenario():
        keys = SigningKeys(fetch, ttl=3600, cooldown=300, clock=lambda: now[0])
        assert fetched == []  # nothing until the first request
        assert (await keys.get("k1"))["kid"] == "k1" and len(fetched) == 1
        assert await keys.get("k1") and len(fetched) == 1  # cached
        assert await keys.get("forged") is None and len(fetched) == 2  # one refetch
        assert await keys.get("forged-again") is None and len(fetched) == 2  # not again within cooldown
        published.append({"kid": "k2", "kty": "RSA"})
        now[0] += 301
        assert (await keys.get("k2"))["kid"] == "k2" and len(fetched) == 3  # rotation picked up
        now[0] += 3600
        assert await keys.get("k1") and len(fetched) == 4  # TTL expired

    run(scenario())


def test_signing_keys_survive_a_failed_refresh_but_not_a_failed_first_fetch():
    now = [0.0]
    failing = [False]

    async def fetch():
        if failing[0]:
            raise OSError("network down")
        return [{"kid": "k1"}]

    async def scenario():
        keys = SigningKeys(fetch, ttl=100, clock=lambda: now[0])
        await keys.get("k1")
        failing[0] = True
        now[0] = 150
        assert await keys.get("k1")  # stale keys are better than none
        broken = SigningKeys(fetch, clock=lambda: now[0])
        with pytest.raises(teams.KeysUnavailable):
            await broken.get("k1")

    run(scenario())


def test_access_token_is_reused_until_shortly_before_it_expires():
    now = [0.0]
    issued = []

    async def fetch():
        issued.append(now[0])
        return f"token-{len(issued)}", 3600.0

    async def scenario():
        tokens = teams.AccessTokens(fetch, clock=lambda: now[0])
        assert await tokens.get() == "token-1"
        now[0] = 3000
        assert await tokens.get() == "token-1"
        now[0] = 3400  # inside the renewal margin
        assert await tokens.get() == "token-2"
        tokens.invalidate()
        assert await tokens.get() == "token-3"

    run(scenario())


@pytest.fixture
def private_fake():
    server = FakeBotFramework().start()
    yield server
    server.stop()


def test_keys_come_from_the_metadata_or_from_the_jwks_override(private_fake):
    async def fetch(settings):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            return await teams.fetch_signing_keys(session, settings)

    via_metadata = TeamsSettings(openid_metadata_url=f"{private_fake.url}/openid")
    assert [k["kid"] for k in run(fetch(via_metadata))] == [KID, UNENDORSED_KID]
    assert private_fake.hits == {"/openid": 1, "/keys": 1}
    override = TeamsSettings(openid_metadata_url=f"{private_fake.url}/openid", jwks_url=f"{private_fake.url}/keys")
    assert [k["kid"] for k in run(fetch(override))] == [KID, UNENDORSED_KID]
    assert private_fake.hits == {"/openid": 1, "/keys": 2}
    with pytest.raises(teams.ConnectorError):
        run(fetch(TeamsSettings(jwks_url=f"{private_fake.url}/missing")))


def test_replies_renew_the_token_on_401_and_retry_once_on_5xx(private_fake):
    settings = TeamsSettings(app_id=APP_ID, app_password=APP_PASSWORD, token_endpoint=f"{private_fake.url}/token",
                             http_timeout=5)
    activity = {"id": "1:1", "serviceUrl": private_fake.service_url, "from": {"id": "29:anna"}, "recipient": BOT,
                "conversation": {"id": "a:retry"}}

    async def reply(channel, text):
        await channel._reply(activity, [{"text": text}])

    async def scenario():
        channel = TeamsInput(settings)
        try:
            private_fake.reply_statuses[:] = [401]
            await reply(channel, "ett")
            assert len(private_fake.token_requests) == 2  # a fresh token after the 401
            private_fake.reply_statuses[:] = [503]
            await reply(channel, "två")
            private_fake.reply_statuses[:] = [400, 400]
            await reply(channel, "tre")  # refused for good: logged, not retried
        finally:
            await channel.close()

    run(scenario())
    assert [r["text"] for r in private_fake.replies_to("a:retry")] == ["ett", "ett", "två", "två", "tre"]
    wrong = TeamsSettings(app_id=APP_ID, app_password="wrong", token_endpoint=f"{private_fake.url}/token")

    async def bad_token():
        async with aiohttp.ClientSession() as session:
            await teams.fetch_access_token(session, wrong)

    with pytest.raises(teams.ConnectorError):
        run(bad_token())


def test_strip_mentions_removes_mentions_and_tidies_whitespace():
    entities = [{"type": "mention", "text": "<at>Finsam Blekinge</at>", "mentioned": BOT},
                {"type": "clientInfo", "locale": "sv-SE"}]
    assert teams.strip_mentions("<at>Finsam Blekinge</at>  Vem kan söka&nbsp;medel?", entities) == \
        "Vem kan söka medel?"
    assert teams.strip_mentions("Hej <at>Bertil</at>, <AT id=\"0\">Finsam</AT> hjälp") == "Hej , hjälp"
    assert teams.strip_mentions("Rad ett\r\nrad två\n\n\n\nNytt stycke") == "Rad ett\nrad två\n\nNytt stycke"
    assert teams.strip_mentions("Tom &amp; Jerry") == "Tom & Jerry"
    assert teams.incoming_text({"text": "<at>Finsam</at>"}) == ""
    assert teams.incoming_text({}) == ""


def test_split_text_keeps_short_text_and_cuts_long_text_at_paragraphs():
    assert teams.split_text("Kort svar.") == ["Kort svar."]
    assert teams.split_text("  ") == []
    paragraphs = [f"Stycke {n} " + "ord " * 30 for n in range(10)]
    parts = teams.split_text("\n\n".join(paragraphs), limit=400)
    assert all(len(p) <= 400 for p in parts) and len(parts) > 1
    assert [q.strip() for p in parts for q in p.split("\n\n")] == [p.strip() for p in paragraphs]


def test_split_text_falls_back_to_sentences_words_and_hard_cuts():
    sentences = " ".join(f"Mening nummer {n} är här." for n in range(40))
    parts = teams.split_text(sentences, limit=100)
    assert all(len(p) <= 100 and p.endswith(".") for p in parts)
    assert " ".join(parts) == sentences
    words = " ".join(["ord"] * 100)
    assert all(len(p) <= 50 for p in teams.split_text(words, limit=50))
    assert teams.split_text("x" * 250, limit=100) == ["x" * 100, "x" * 100, "x" * 50]


def test_buttons_become_message_back_hero_cards_six_at_a_time():
    buttons = [{"title": f"Val {n}", "payload": f"/intent_{n}"} for n in range(8)]
    buttons.append({"title": "Webbplatsen", "url": "https://www.finsam-blekinge.se"})
    cards = teams.hero_cards("Välj:", buttons)
    assert len(cards) == 2 and cards[0]["content"]["text"] == "Välj:" and "text" not in cards[1]["content"]
    assert [len(c["content"]["buttons"]) for c in cards] == [6, 3]
    assert cards[0]["content"]["buttons"][0] == {"type": "messageBack", "title": "Val 0", "text": "/intent_0",
                                                 "displayText": "Val 0"}
    assert cards[1]["content"]["buttons"][-1] == {"type": "openUrl", "title": "Webbplatsen",
                                                  "value": "https://www.finsam-blekinge.se"}
    payload = '/edit_answer{"sketch_field": "title"}'
    assert teams.card_action({"title": "Arbetstitel", "payload": payload})["text"] == payload


def test_message_parts_put_buttons_after_the_last_piece_and_escape_html():
    text = "A" * 50 + "\n\n" + "B <b>" * 10
    parts = teams.message_parts({"text": text, "buttons": [{"title": "Ja", "payload": "/affirm"}]}, limit=60)
    assert parts[0] == {"text": "A" * 50}
    card = parts[-1]["attachments"][0]["content"]
    assert "&lt;b&gt;" in card["text"] and "<b>" not in card["text"]
    assert card["buttons"][0]["text"] == "/affirm"
    assert teams.message_parts({"text": "Rad ett\nrad två"}) == [{"text": "Rad ett<br>rad två"}]
    assert teams.message_parts({"custom": {"draft_reference": "X"}}) == []


def test_an_answer_with_an_id_gets_thumbs_under_its_last_piece_and_after_its_own_buttons():
    from channels.teams.formatting import feedback_actions
    from finsam.feedback import answer_id, find_answer_by_id

    thumbs = feedback_actions("abc123")
    assert [a["value"] for a in thumbs] == [{"finsam_feedback": "up", "answer_id": "abc123"},
                                            {"finsam_feedback": "down", "answer_id": "abc123"}]
    parts = teams.message_parts({"text": "A" * 50 + "\n\n" + "B" * 50, "feedback": "abc123"}, limit=60)
    assert parts[0] == {"text": "A" * 50}
    assert parts[1]["text"] == "B" * 50 and parts[1]["attachments"][0]["content"] == {"buttons": thumbs}
    with_buttons = teams.message_parts({"text": "Menade du?", "feedback": "abc123",
                                        "buttons": [{"title": "Ja", "payload": "/affirm"}]})
    assert [b["title"] for b in with_buttons[0]["attachments"][0]["content"]["buttons"]] == [
        "Ja", "👍 Bra svar", "👎 Dåligt svar"]
    assert "attachments" not in teams.message_parts({"text": "Hej"})[0]
    events = [{"event": "user", "text": "Vem kan söka?"}, {"event": "action", "name": "action_answer_question"},
              {"event": "bot", "text": "Minst två  parter."}, {"event": "user", "text": "/greet"},
              {"event": "action", "name": "utter_greet"}, {"event": "bot", "text": "Hej!"}]
    assert find_answer_by_id(events, answer_id("Minst två parter.")) == ("Vem kan söka?", "Minst två  parter.")
    assert find_answer_by_id(events, answer_id("Hej!")) is None  # not an answering action's message


@pytest.mark.parametrize("typed, shown", [
    ("**fet** [länk](http://evil.example)", "\\*\\*fet\\*\\* \\[länk\\](http://evil.example)"),
    ("_kursiv_ `kod` ~~struken~~ |a|b|", "\\_kursiv\\_ \\`kod\\` \\~\\~struken\\~\\~ \\|a\\|b\\|"),
    ("# Rubrik\n- punkt\n+ punkt\n1. ett\n2) två", "\\# Rubrik<br>\\- punkt<br>\\+ punkt<br>1\\. ett<br>2\\) två"),
    ("C:\\mapp <b>x</b> & y", "C:\\\\mapp &lt;b&gt;x&lt;/b&gt; &amp; y"),
    ("Fråga 1 av 8: Vad heter idén? Svara t.ex. 3-5 ord.", "Fråga 1 av 8: Vad heter idén? Svara t.ex. 3-5 ord."),
])
def test_teams_markup_escapes_markdown_and_html(typed, shown):
    assert teams.teams_markup(typed) == shown


def test_reply_addressing():
    assert teams.reply_url("https://smba.trafficmanager.net/emea/", "19:abc@thread.tacv2;messageid=1", "1:2") == \
        "https://smba.trafficmanager.net/emea/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D1/activities/1%3A2"
    assert teams.reply_url("https://x.example/", "a:1").endswith("/v3/conversations/a%3A1/activities")
    assert teams.safe_service_url("https://smba.trafficmanager.net/emea/")
    assert teams.safe_service_url("http://127.0.0.1:3978/") and not teams.safe_service_url("http://example.com/")


def test_sender_ids_are_stable_short_and_per_person_and_conversation():
    base = {"conversation": {"id": "19:x@thread.tacv2"}, "from": {"id": "29:anna"},
            "channelData": {"tenant": {"id": TENANT}}}
    other_person = {**base, "from": {"id": "29:bertil"}}
    assert sender_id_for(base) == sender_id_for(json.loads(json.dumps(base)))
    assert sender_id_for(base) != sender_id_for(other_person)
    assert sender_id_for(base).startswith("teams-") and len(sender_id_for(base)) < 64
    assert teams.tenant_of({"conversation": {"tenantId": OTHER_TENANT}}) == OTHER_TENANT
    assert teams.tenant_of({}) is None


def test_welcome_events_are_only_the_bot_being_added():
    update = {"type": "conversationUpdate", "recipient": BOT, "membersAdded": [{"id": "29:anna"}, BOT]}
    assert teams.is_welcome_event(update, APP_ID)
    assert not teams.is_welcome_event({**update, "membersAdded": [{"id": "29:anna"}]}, APP_ID)
    assert not teams.is_welcome_event({**update, "membersAdded": None}, APP_ID)
    assert teams.is_welcome_event({"type": "installationUpdate", "action": "add"}, APP_ID)
    assert not teams.is_welcome_event({"type": "installationUpdate", "action": "remove"}, APP_ID)
    assert teams.welcome_message(None)["text"] == teams.FALLBACK_WELCOME


def test_recent_keys_are_bounded_and_can_expire():
    now = [0.0]
    recent = teams.RecentKeys(3, ttl=10, clock=lambda: now[0])
    assert recent.add("a") and not recent.add("a")
    for key in "bcd":
        recent.add(key)
    assert recent.add("a")  # forgotten: only the newest three are kept
    now[0] = 11
    assert recent.add("d")  # expired


# --------------------------------------------------------------------------- the Teams app package


def test_teams_package_is_built_with_a_complete_manifest_and_icons(tmp_path):
    from PIL import Image

    env = {"PATH": "", "MICROSOFT_APP_ID": APP_ID.upper()}
    result = subprocess.run([sys.executable, "scripts/teams_package.py", "--out-dir", str(tmp_path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "finsam-teams.zip"
    assert str(target) in result.stdout
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = Image.open(BytesIO(archive.read("color.png")))
        outline = Image.open(BytesIO(archive.read("outline.png")))
    assert manifest["$schema"].endswith("/v1.17/MicrosoftTeams.schema.json") and manifest["manifestVersion"] == "1.17"
    for field in ("id", "version", "developer", "name", "description", "icons", "accentColor", "bots",
                  "validDomains"):
        assert manifest[field], field
    assert uuid.UUID(manifest["id"]) and manifest["id"] != APP_ID
    assert set(manifest["developer"]) >= {"name", "websiteUrl", "privacyUrl", "termsOfUseUrl"}
    assert manifest["developer"]["websiteUrl"] == "https://www.finsam-blekinge.se"
    assert manifest["bots"][0]["botId"] == APP_ID
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"}
    assert "Blekinge" in manifest["name"]["short"] and len(manifest["name"]["short"]) <= 30
    assert "förbundet" in manifest["name"]["full"].lower() and "idéskiss" in manifest["description"]["full"]
    assert len(manifest["description"]["short"]) <= 80
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert color.size == (192, 192) and outline.size == (32, 32)
    outline = outline.convert("RGBA")
    pixels = [outline.getpixel((x, y)) for x in range(32) for y in range(32)]
    assert all(p[:3] == (255, 255, 255) for p in pixels if p[3])  # white on transparent
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)

    again = subprocess.run([sys.executable, "scripts/teams_package.py", "--out-dir", str(tmp_path / "again")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert json.loads(zipfile.ZipFile(tmp_path / "again" / "finsam-teams.zip").read("manifest.json"))["id"] == \
        manifest["id"]  # a stable app id, so uploading again updates the same app


def test_teams_package_needs_the_bot_id(tmp_path):
    result = subprocess.run([sys.executable, "scripts/teams_package.py", "--out-dir", str(tmp_path)], cwd=ROOT,
                            env={"PATH": ""}, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0 and "MICROSOFT_APP_ID saknas" in result.stderr
    assert not (tmp_path / "finsam-teams.zip").exists()


def test_the_sketch_is_recognised_in_a_team_channel_before_rasa_runs_it():
    class Tracker:
        def __init__(self, loop):
            self.active_loop_name = loop

    class Store:
        def __init__(self, loop=None):
            self.loop = loop

        async def retrieve(self, sender_id):
            return Tracker(self.loop)

    class Agent:
        def __init__(self, intent, loop=None):
            self.intent, self.tracker_store = intent, Store(loop)

        async def parse_message(self, text):
            return {"intent": {"name": self.intent}}

    channel = TeamsInput(TeamsSettings(app_id=APP_ID, app_password=APP_PASSWORD))

    def would(text, agent):
        return run(channel._would_run_sketch(text, "teams-x", agent))

    assert would("jag har en idé", Agent("start_sketch"))
    assert would("Anna Svensson", Agent("out_of_scope", loop="idea_sketch_form"))  # a form already running
    assert would("/start_sketch", None) and would('/edit_answer{"sketch_field": "title"}', None)
    assert not would("Vem kan söka medel?", Agent("ask_who_can_apply"))
    assert not would("Vem kan söka medel?", None)
    assert teams.is_personal({"conversation": {"conversationType": "personal"}})
    assert not teams.is_personal({"conversation": {"conversationType": "channel"}})
    assert not teams.is_personal({"conversation": {"conversationType": "groupChat"}})


def test_a_turn_cut_off_by_a_time_out_gets_the_apology_not_half_a_reply():
    # The replies collected before the cut-off may say the form started while nothing was stored.
    channel = TeamsInput(TeamsSettings(app_id=APP_ID, app_password=APP_PASSWORD))

    async def cut_off(user_message):
        await user_message.output_channel.send_text_message(user_message.sender_id, "Vad heter din idé?")
        raise asyncio.CancelledError()

    [reply] = run(channel._ask_rasa("jag har en idé", "teams-x", cut_off))
    assert reply["text"].startswith(teams_channel.ERROR_REPLY) and "Vad heter din idé" not in reply["text"]


def test_a_too_long_message_states_the_answer_limit_and_never_invites_splitting(monkeypatch):
    channel = TeamsInput(TeamsSettings(app_id=APP_ID, app_password=APP_PASSWORD))
    sent = []

    async def capture(activity, messages):
        sent.extend(messages)

    monkeypatch.setattr(channel, "_reply", capture)
    run(channel._answer(message("a:conv-long", "ord " * 5000), _never_called))
    limit = get_knowledge().idea_sketch["limits"]["max_answer_chars"]
    [reply] = sent
    assert f"högst {limit} tecken" in reply["text"] and "åt gången" not in reply["text"]
