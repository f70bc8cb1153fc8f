"""Pages of the kansli workspace through Starlette's test client (no browser): odd drafts and
error pages."""
from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import docx
import pytest
from starlette.testclient import TestClient

from kansli import config
from kansli.app import create_app
from kansli.auth import create_user
from kansli.db import session_scope

OLD = "IDS-20250101-AAAAAAAAAAAAAAAA"


@pytest.fixture
def client(tmp_path):
    root = tmp_path / "drafts"
    (root / OLD).mkdir(parents=True)
    # A schema-1 draft with little in it: no labels, no contact, no questions.
    (root / OLD / "draft.json").write_text(json.dumps({"schema_version": 1, "reference": OLD,
                                                      "created": "2025-01-01T10:00:00+00:00", "title": "Gammal"}))
    url = f"sqlite:///{tmp_path / 'kansli.db'}"
    settings = replace(config.settings_from_env({"KANSLI_DATA_DIR": str(tmp_path)}), database_url=url,
                       failed_login_delay=0)
    with TestClient(create_app(settings, drafts_dir=root), base_url="https://testserver") as client:
        with session_scope(url) as session:
            create_user(session, "kerstin", "Kerstin", "ett långt lösenord!")
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        reply = client.post("/login", data={"csrf_token": token, "username": "kerstin",
                                            "password": "ett långt lösenord!", "next": "/inkorg"})
        assert reply.status_code == 200 and "Inkorg" in reply.text
        yield client


def test_a_sparse_old_draft_still_renders(client):
    page = client.get(f"/utkast/{OLD}")
    assert page.status_code == 200 and "<h1>Gammal</h1>" in page.text and "0 öppna frågor" in page.text


def test_missing_drafts_and_pages_get_a_swedish_error(client):
    page = client.get("/utkast/IDS-20990101-BBBBBBBBBBBBBBBB")
    assert page.status_code == 404 and "Utkastet finns inte" in page.text
    assert client.get(f"/utkast/{OLD}/utkast.exe").status_code == 404
    assert client.get(f"/utkast/{OLD}?version=9").status_code == 404
    assert "Sidan finns inte." in client.get("/finns-inte").text


def test_a_status_change_that_skips_the_workflow_is_refused(client):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/utkast/{OLD}").text).group(1)
    reply = client.post(f"/utkast/{OLD}/status", data={"csrf_token": token, "status": "vidare_till_ansokan"})
    assert reply.status_code == 400 and "inte möjlig" in reply.text


def test_after_login_only_local_paths_are_followed(client):
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                          client.get("/inkorg").text).group(1)})
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    reply = client.post("/login", data={"csrf_token": token, "username": "kerstin", "password": "ett långt lösenord!",
                                        "next": "//elak.example/"}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/inkorg"


def test_markdown_download_is_built_from_the_json_when_the_file_is_missing(client):
    reply = client.get(f"/utkast/{OLD}/utkast.md")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/markdown")
    assert "attachment" in reply.headers["content-disposition"]
    assert reply.text.startswith("# Idéskiss") and OLD in reply.text
    document = docx.Document(io.BytesIO(client.get(f"/utkast/{OLD}/utkast.docx").content))
    assert OLD in "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
