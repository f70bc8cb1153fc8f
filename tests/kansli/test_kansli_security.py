"""The kansli workspace's security controls in headless Chromium: login required everywhere (downloads
too), wrong password and lock-out, cookie flags, HTML shown as text, CSRF, idle expiry, logout.
"""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from itsdangerous import TimestampSigner
from kansli_fixtures import browser, mailbox
from kansli_samples import XSS
from kansli_site import (
    ANNA,
    IDLE_MINUTES,
    NAME,
    SECRET,
    USER,
    fetch,
    login,
    new_page,
    site,
)
from sqlalchemy import select

from kansli.auth import create_user
from kansli.db import session_scope
from kansli.models import Case

FIXTURES = (browser, mailbox, new_page, site)  # pytest fixtures, imported for the tests below


# ------------------------------------------------------------------ without a login
def test_every_page_and_download_requires_login(site, new_page):
    ref = site.refs[ANNA]
    paths = ["/", "/inkorg", f"/utkast/{ref}", f"/utkast/{ref}/utkast.docx", f"/utkast/{ref}/utkast.md",
             f"/utkast/{ref}/svar", f"/utkast/{ref}/radera", "/mall", "/radering", "/logg"]
    for path in paths:
        status, headers, body = fetch(site.url + path)
        assert status == 303 and headers["Location"].startswith("/login"), (path, status)
        assert b"PK" not in body[:2] and b"Anna" not in body
    page = new_page()
    page.goto(f"{site.url}/utkast/{ref}/utkast.docx")
    assert page.url.startswith(f"{site.url}/login?next=") and page.locator("h1").inner_text() == "Logga in"
    assert "Anna" not in page.content()
    for path in [f"/utkast/{ref}/status", f"/utkast/{ref}/kommentar", "/radering"]:  # posts too
        request = urllib.request.Request(site.url + path, data=b"status=avslutad", method="POST")
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            assert error.code in (303, 403)
    with session_scope(site.db_url) as session:
        assert session.execute(select(Case.status).where(Case.reference == ref)).scalar() == "ny"


def test_security_headers_and_loopback_only(site):
    status, headers, _ = fetch(site.url + "/login")
    assert status == 200
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in \
        headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert f"Uvicorn running on http://127.0.0.1:{site.port}" in site.log.read_text()  # loopback by default


def test_wrong_password_is_refused_without_a_session(site, new_page):
    page = login(new_page(), site, password="fel lösenord helt enkelt")
    assert page.url.startswith(f"{site.url}/login")
    assert page.locator("[role=alert]").inner_text() == "Fel användarnamn eller lösenord."
    assert not [c for c in page.context.cookies() if c["name"] == "kansli_session" and "uid" in
                base64.b64decode(c["value"].split(".")[0] + "==").decode()]
    page.goto(f"{site.url}/inkorg")
    assert page.url.startswith(f"{site.url}/login")


def test_repeated_failures_lock_the_account_for_a_while(site, new_page):
    with session_scope(site.db_url) as session:
        create_user(session, "spärras@example.se", "Spärras", "ett helt annat lösenord")
    page = new_page()
    for _ in range(3):
        login(page, site, "spärras@example.se", "gissning")
    assert "För många misslyckade försök" in page.locator("[role=alert]").inner_text()
    login(page, site, "spärras@example.se", "ett helt annat lösenord")  # even the right one waits now
    assert page.url.startswith(f"{site.url}/login") and "spärrat" in page.locator("[role=alert]").inner_text()


def test_login_sets_a_secure_httponly_samesite_cookie(site, new_page):
    page = login(new_page(), site)
    assert page.url == f"{site.url}/inkorg"
    [cookie] = [c for c in page.context.cookies() if c["name"] == "kansli_session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.locator(".who").inner_text() == f"Inloggad: {NAME}"


def test_html_in_answers_is_shown_as_text(site, new_page):
    page = login(new_page(), site)
    page.goto(f"{site.url}/inkorg")
    assert page.locator("img[src=x]").count() == 0 and page.locator("main b").count() == 0
    page.goto(f"{site.url}/utkast/{site.refs['xss']}")
    assert page.locator("h1").inner_text() == "Skript" + XSS
    assert page.locator(".answer").first.inner_text() == "Skript" + XSS
    assert XSS in page.locator(".question").nth(1).inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    assert page.locator("main b").count() == 0
    assert page.evaluate("window.__xss") is None and page.errors == []


def test_a_forged_csrf_token_is_refused(site, new_page):
    ref = site.refs["erik.lind@ronneby.se"]
    page = login(new_page(bypass_csp=True), site)
    page.goto(f"{site.url}/utkast/{ref}")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'förfalskad')")
    page.fill("#kommentar", "ska inte sparas")
    page.click("text=Spara kommentar")
    assert "ogiltig CSRF-token" in page.locator("[role=alert]").inner_text()
    # Another site's form: no token at all (and SameSite keeps the cookie away besides).
    response = page.context.request.post(f"{site.url}/utkast/{ref}/status", form={"status": "avslutad"},
                                         max_redirects=0)
    assert response.status == 403
    with session_scope(site.db_url) as session:
        case = session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        assert case.status == "ny" and not [e for e in case.events if e.kind == "comment"]


def test_an_idle_session_expires(site, new_page):
    page = login(new_page(), site)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "kansli_session"]
    signer = TimestampSigner(SECRET)
    data = json.loads(base64.b64decode(signer.unsign(cookie["value"].encode())))
    assert data["user"] == USER
    data["seen"] -= IDLE_MINUTES * 60 + 5  # the last request was longer ago than the idle timeout
    cookie["value"] = signer.sign(base64.b64encode(json.dumps(data).encode())).decode()
    page.context.add_cookies([cookie])
    page.goto(f"{site.url}/inkorg")
    assert page.url.startswith(f"{site.url}/login")
    assert page.locator("[role=status]").inner_text() == "Din session har gått ut. Logga in igen."
    page.goto(f"{site.url}/inkorg")  # the session is gone for good, not just this once
    assert page.url.startswith(f"{site.url}/login")


def test_logout_ends_the_session(site, new_page):
    page = login(new_page(), site)
    page.click("text=Logga ut")
    page.goto(f"{site.url}/inkorg")
    assert page.url.startswith(f"{site.url}/login")
