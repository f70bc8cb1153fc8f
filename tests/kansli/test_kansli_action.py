"""The action server records a submitted draft in the kansli store at once; when the store is
down the idea maker is still served and the workspace's import picks the draft up later."""
from __future__ import annotations

import asyncio
import logging

from kansli_fixtures import db_url  # noqa: F401 (fixture)
from kansli_samples import answers
from sqlalchemy import select

from actions import sketch_form
from kansli import records
from kansli.db import migrate, session_scope
from kansli.models import Case, DraftVersion


def submit(dispatcher, tracker_factory, domain, slots):
    tracker = tracker_factory("skicka", intent="confirm_submit", slots=slots)
    [event] = asyncio.run(sketch_form.ActionSubmitSketch().run(dispatcher, tracker, domain))
    return event["value"]


def test_submitted_drafts_and_new_versions_are_recorded_at_once(db_url, dispatcher, tracker_factory,  # noqa: F811
                                                                domain, drafts_dir, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("KANSLI_DATABASE_URL", db_url)
    reference = submit(dispatcher, tracker_factory, domain, answers())
    with session_scope(db_url) as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        assert (case.title, case.contact_name, [v.version for v in case.versions]) == \
            ("Gemensam väg till arbete", "Anna Svensson", [1])
    submit(dispatcher, tracker_factory, domain, answers(draft_reference=reference, background="Nu ändrad bakgrund."))
    with session_scope(db_url) as session:
        versions = session.execute(select(DraftVersion.version, DraftVersion.folder).order_by(DraftVersion.version)
                                   ).all()
    assert versions == [(1, f"{reference}/v1"), (2, f"{reference}/v2")]
    assert records.import_drafts(db_url, drafts_dir) == 0  # nothing left for the import


def test_a_store_that_is_down_loses_nothing(db_url, dispatcher, tracker_factory, domain, drafts_dir,  # noqa: F811
                                            monkeypatch, caplog):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("KANSLI_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/nere")
    with caplog.at_level(logging.WARNING, logger="kansli.records"):
        reference = submit(dispatcher, tracker_factory, domain, answers())
    assert reference in dispatcher.messages[-1]["text"]  # the idea maker gets the reference as usual
    assert "will be imported later" in caplog.text
    assert records.import_drafts(db_url, drafts_dir) == 1
    with session_scope(db_url) as session:
        assert session.execute(select(Case.reference)).scalars().all() == [reference]


def test_a_private_drafts_folder_is_not_recorded_in_the_default_store(dispatcher, tracker_factory, domain,
                                                                      drafts_dir, monkeypatch, tmp_path):
    """Live tests and other instances write to their own DRAFTS_DIR: the developer's default
    store (.kansli/kansli.db) must not collect their drafts."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.delenv("KANSLI_DATABASE_URL", raising=False)
    monkeypatch.setenv("KANSLI_DATA_DIR", str(tmp_path / "default"))
    default = f"sqlite:///{tmp_path / 'default' / 'kansli.db'}"
    migrate(default)
    submit(dispatcher, tracker_factory, domain, answers())
    with session_scope(default) as session:
        assert session.execute(select(Case)).first() is None
