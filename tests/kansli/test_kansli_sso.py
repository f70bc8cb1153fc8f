"""Single sign-on with Microsoft Entra ID (OIDC through Authlib), against a local fake identity
provider that signs real RS256 ID tokens, in Debian's Chromium."""
from __future__ import annotations

import base64
import secrets
import threading
import time
from urllib.parse import urlencode

import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from kansli_fixtures import KansliServer, browser, free_port  # noqa: F401
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from kansli.auth import create_user
from kansli.db import session_scope

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID, CLIENT_SECRET = "kansli-app", "hemlig-" + secrets.token_hex(8)
MEMBER = "processledare@finsam-blekinge.example"


class FakeEntra:
    """Just enough of an OpenID provider: discovery, authorize (auto-consent), token, JWKS."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/{TENANT}/v2.0"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.user = {}
        self.codes = {}
        self.token_requests = []
        app = Starlette(routes=[
            Route(f"/{TENANT}/v2.0/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize), Route("/token", self.token, methods=["POST"]),
            Route("/keys", self.keys)])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    ws="none", lifespan="off"))

    async def discovery(self, request: Request):
        base = f"http://127.0.0.1:{self.port}"
        return JSONResponse({"issuer": self.issuer, "authorization_endpoint": f"{base}/authorize",
                             "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/keys",
                             "response_types_supported": ["code"], "subject_types_supported": ["pairwise"],
                             "id_token_signing_alg_values_supported": ["RS256"],
                             "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]})

    async def authorize(self, request: Request):
        query = request.query_params
        assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
        code = secrets.token_urlsafe(16)
        self.codes[code] = (query.get("nonce"), query["redirect_uri"], dict(self.user))
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

    async def token(self, request: Request):
        form = await request.form()
        basic = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if basic != expected and (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        self.token_requests.append(dict(form))
        nonce, redirect_uri, user = self.codes.pop(form.get("code"), (None, None, None))
        if user is None or form.get("redirect_uri") != redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": secrets.token_hex(8), "iat": now, "nbf": now,
                  "exp": now + 600, "nonce": nonce, "tid": TENANT, **user}
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                             "id_token": id_token, "scope": "openid email profile"})

    async def keys(self, request: Request):
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    def start(self):
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sso")
    idp = FakeEntra()
    idp.start()
    url = f"sqlite:///{tmp / 'kansli.db'}"
    server = KansliServer(tmp, {
        "KANSLI_DATABASE_URL": url, "DRAFTS_DIR": str(tmp / "drafts"),
        "KANSLI_OIDC_TENANT": TENANT, "KANSLI_OIDC_METADATA_URL": f"{idp.issuer}/.well-known/openid-configuration",
        "KANSLI_OIDC_CLIENT_ID": CLIENT_ID, "KANSLI_OIDC_CLIENT_SECRET": CLIENT_SECRET})
    server.start()
    with session_scope(url) as session:
        create_user(session, MEMBER, "Processledaren", None)  # SSO only: no password
    yield server, idp
    server.stop()
    idp.stop()


def sign_in(page, server, idp, **claims):
    idp.user = claims
    page.goto(f"{server.url}/login")
    page.click("text=Logga in med Microsoft")
    page.wait_for_load_state()
    return page


def test_a_member_of_the_forbund_signs_in_with_entra_id(sso, browser):  # noqa: F811
    server, idp = sso
    page = sign_in(browser.new_page(), server, idp, preferred_username=MEMBER.upper(), name="P L")
    assert page.url == f"{server.url}/inkorg"
    assert page.locator(".who").inner_text() == "Inloggad: Processledaren"
    assert len(idp.token_requests) == 1  # the code was redeemed once, with the client secret
    assert idp.token_requests[0]["redirect_uri"] == f"{server.url}/sso/callback"
    page.context.close()


def test_an_account_without_access_is_refused(sso, browser):  # noqa: F811
    server, idp = sso
    page = sign_in(browser.new_page(), server, idp, preferred_username="okand@finsam-blekinge.example")
    assert "ingen behörighet" in page.locator("[role=alert]").inner_text()
    page.goto(f"{server.url}/inkorg")
    assert page.url.startswith(f"{server.url}/login")
    page.context.close()


def test_another_tenant_is_refused(sso, browser):  # noqa: F811
    server, idp = sso
    page = sign_in(browser.new_page(), server, idp, preferred_username=MEMBER, tid="annan-organisation")
    assert "hör inte till förbundets organisation" in page.locator("[role=alert]").inner_text()
    page.context.close()


def test_a_forged_callback_is_refused(sso, browser):  # noqa: F811
    server, _ = sso
    page = browser.new_page()
    page.goto(f"{server.url}/sso/callback?code=gissad&state=gissad")
    assert "misslyckades" in page.locator("[role=alert]").inner_text()
    page.goto(f"{server.url}/inkorg")
    assert page.url.startswith(f"{server.url}/login")
    page.context.close()


def test_a_password_login_cannot_be_used_for_an_sso_only_account(sso, browser):  # noqa: F811
    server, _ = sso
    page = browser.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", MEMBER)
    page.fill("#password", "")
    page.fill("#password", "vad som helst")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Fel användarnamn eller lösenord."
    page.context.close()
