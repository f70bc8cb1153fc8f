"""The kansli workspace as the browser tests see it: `python -m kansli` in its own process (on the
local PostgreSQL when it runs, else SQLite) with the bot's drafts, a tracker database with
conversations and aiosmtpd for replies; page helpers for Playwright. Each test module that
imports `site` gets its own server.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from browser_support import page_maker
from conftest import ROOT
from kansli_fixtures import AXE, KansliServer, browser, browser_db_url, cli, mailbox  # noqa: F401
from kansli_samples import populate
from sqlalchemy import create_engine, insert

from finsam.erasure import EVENTS
from kansli.auth import create_user
from kansli.db import session_scope

ANNA = "anna.svensson@karlshamn.se"
USER, PASSWORD, NAME = "kerstin@finsam-blekinge.example", "korrekt häst batteri häftapparat", "Kerstin Handläggare"
SECRET = "test-secret-" + "x" * 40
IDLE_MINUTES = 20
ARTIFACTS = ROOT / "artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, mailbox):  # noqa: F811
    tmp = tmp_path_factory.mktemp("kansli")
    refs = populate(tmp / "drafts")
    tracker = f"sqlite:///{tmp / 'tracker.db'}"
    engine = create_engine(tracker, future=True)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        for sender, text in [("conv-anna", f"min e-post är {ANNA}"), ("conv-anna", "tack"), ("conv-erik", "hej")]:
            connection.execute(insert(EVENTS).values(sender_id=sender, type_name="user", timestamp=1.0,
                                                     data=json.dumps({"event": "user", "text": text})))
    engine.dispose()
    schema = browser_db_url(tmp)
    if schema is not None:
        schema.__enter__()
    url = schema.url if schema else f"sqlite:///{tmp / 'kansli.db'}"
    server = KansliServer(tmp, {
        "KANSLI_DATABASE_URL": url, "DRAFTS_DIR": str(tmp / "drafts"), "KANSLI_TRACKER_DB_URL": tracker,
        "KANSLI_SECRET_KEY": SECRET, "KANSLI_IDLE_MINUTES": str(IDLE_MINUTES), "KANSLI_MAX_FAILED_LOGINS": "3",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port), "SMTP_SECURITY": "none",
        "SMTP_FROM": "kansli@finsam-blekinge.example"})
    server.start()  # migrates the store and imports the drafts
    with session_scope(url) as session:
        create_user(session, USER, NAME, PASSWORD)
    server.refs, server.db_url, server.tracker, server.drafts = refs, url, tracker, tmp / "drafts"
    yield server
    server.stop()
    if schema is not None:
        schema.__exit__(None, None, None)


@pytest.fixture
def new_page(browser):  # noqa: F811
    with page_maker(browser, 20_000, viewport={"width": 1360, "height": 900}, locale="sv-SE",
                    accept_downloads=True) as make:
        yield make


def login(page, site, username=USER, password=PASSWORD):
    page.goto(f"{site.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def fetch(url: str, headers=None):
    """(status, headers, body) without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def rows(page):
    return page.locator("table.inbox tbody tr")
