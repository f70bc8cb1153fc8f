"""Obesvarade frågor and Översikt in Debian's headless Chromium, on a tracker store with Rasa-shaped
rows (tests/kansli/kansli_insight_rows.py): questions the bot could not answer appear redacted and
without the sender, counted per week and by how common they are; "Gör till exempel" writes the review
file (docs/review-file.md); the overview and its server-side chart count a sketch that stopped at
question 3. axe on both pages; the screenshot goes to artifacts/kansli-overview.png."""
from __future__ import annotations

import json

import pytest
import yaml
from kansli_fixtures import AXE, browser  # noqa: F401
from kansli_insight_rows import CLARIFIED_AWAY, FALLBACK_TEXT, PNR_QUESTION, UNANSWERED_TWICE
from kansli_site import ARTIFACTS, login, new_page
from sqlalchemy import select
from test_kansli_knowledge import axe_check, ksite

from kansli.db import session_scope
from kansli.models import AuditEntry

FIXTURES = (browser, new_page, ksite)


def test_unanswered_questions_are_listed_redacted_without_the_sender(ksite, new_page):
    page = login(new_page(), ksite)
    page.click("nav >> text=Obesvarade frågor")
    content = page.locator("main").inner_text()
    assert "19121212-1212" not in content and "conv-parkering" not in content and "conv-" not in content
    latest = page.locator("table.latest tbody").inner_text()
    assert "Får man parkera gratis vid Wämö Center? Mitt personnummer är [personnummer borttaget]" in latest
    assert FALLBACK_TEXT in latest and CLARIFIED_AWAY in latest
    assert "Vem kan söka medel" not in latest and "hur mycket pengar då" not in latest  # answered / resolved
    reasons = {row.locator("td").nth(1).inner_text(): row.locator("td").nth(2).inner_text()
               for row in page.locator("table.latest tbody tr").all()}
    assert reasons[FALLBACK_TEXT] == "Boten förstod inte"
    assert reasons[CLARIFIED_AWAY] == "”Menar du …?” utan val"
    assert reasons[UNANSWERED_TWICE] == "Inte i underlaget"
    [week] = page.locator("table.per-week tbody tr").all()
    assert week.locator("td").nth(1).inner_text() == "5"
    first = page.locator("table.common tbody tr").first
    assert first.locator("td").nth(0).inner_text().lower().startswith("finns det pengar till en cykelverkstad")
    assert first.locator("td").nth(1).inner_text() == "2"  # the two wordings count as one question
    assert PNR_QUESTION not in page.content()


def test_make_example_adds_the_question_to_the_review_file(ksite, new_page):
    page = login(new_page(), ksite)
    page.goto(f"{ksite.url}/obesvarade")
    row = page.locator("table.common tbody tr", has_text="parkera gratis")
    row.locator("button", has_text="Gör till exempel").click()
    assert page.locator("[role=status]").inner_text() == "Frågan är tillagd i granskningsfilen."
    assert "i granskningsfilen" in page.locator("table.common tbody tr", has_text="parkera gratis").inner_text()
    data = yaml.safe_load(ksite.review.read_text(encoding="utf-8"))
    [example] = data["examples"]
    assert data["version"] == 1 and example["reason"] == "not_in_documents" and example["intent"] is None
    assert example["text"].endswith("Mitt personnummer är [personnummer borttaget]") and example["week"]
    assert ksite.review.read_text(encoding="utf-8").startswith("# Obesvarade frågor")
    with session_scope(ksite.db_url) as session:
        actions = [a.action for a in session.execute(select(AuditEntry)).scalars()]
    assert "gjorde_exempel" in actions and "visade_obesvarade" in actions


def test_the_overview_counts_a_sketch_that_stopped_at_question_3(ksite, new_page):
    page = login(new_page(), ksite)
    page.click("nav >> text=Översikt")
    [week] = page.locator("table.weeks tbody tr").all()
    cells = week.locator("td").all_inner_texts()
    assert cells[1:] == ["9", "7", "2", "5"]  # conversations, questions, answered, not answered
    funnel = {row.locator("th").inner_text(): row.locator("td").all_inner_texts()
              for row in page.locator("table.funnel tbody tr").all()}
    assert funnel["Påbörjad"] == ["3", "0"]
    assert funnel["Fråga 3"] == ["3", "1"]  # three reached it, one stopped there
    assert funnel["Fråga 4"] == ["2", "0"] and funnel["Fråga 6"] == ["2", "1"]
    assert funnel["Inskickad"] == ["1", "0"]
    image = page.locator("img.chart")
    page.wait_for_load_state("load")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1100
    chart = page.request.get(f"{ksite.url}/oversikt/tratt.png")
    assert chart.status == 200 and chart.headers["content-type"] == "image/png" and chart.body()[:4] == b"\x89PNG"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "kansli-overview-chart.png").write_bytes(chart.body())
    page.screenshot(path=str(ARTIFACTS / "kansli-overview.png"), full_page=True)


def test_the_chart_needs_a_login(ksite, new_page):
    page = new_page()
    reply = page.request.get(f"{ksite.url}/oversikt/tratt.png", max_redirects=0)
    assert reply.status == 303 and reply.headers["location"].startswith("/login")


def test_axe_finds_no_serious_or_critical_violations_on_the_insight_pages(ksite, new_page):
    if not AXE.exists():
        pytest.skip("node_modules/axe-core saknas (npm ci)")
    page = login(new_page(bypass_csp=True), ksite)
    results = {}
    for name, path in [("obesvarade", "/obesvarade"), ("oversikt", "/oversikt")]:
        page.goto(ksite.url + path)
        axe_check(page, results, name)
    bad = {n: [v for v in r["violations"] if v["impact"] in ("serious", "critical")] for n, r in results.items()}
    (ARTIFACTS / "kansli-insight-axe-report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    assert len(results) == 2 and all(not v for v in bad.values()), bad


def test_a_postgresql_tracker_store_gives_the_same_numbers(tmp_path):
    """The configured SQL store (KANSLI_TRACKER_DB_URL) is read by reflection, like SQLite."""
    from conftest import require_service
    from kansli_fixtures import PG_HOST, PG_PORT, PostgresSchema
    from kansli_insight_rows import build_tracker, fill
    from sqlalchemy import create_engine

    from finsam.knowledge import load_knowledge
    from kansli import insight

    require_service("PostgreSQL", PG_HOST, PG_PORT)
    knowledge = load_knowledge()
    sqlite = create_engine(build_tracker(tmp_path / "tracker.db"), future=True)
    expected = insight.overview(insight.read_conversations(sqlite, knowledge), knowledge)
    sqlite.dispose()
    with PostgresSchema() as schema:
        engine = create_engine(schema.url, future=True)
        try:
            fill(engine)
            conversations = insight.read_conversations(engine, knowledge)
        finally:
            engine.dispose()
    assert insight.overview(conversations, knowledge) == expected
    stages, [week] = expected
    assert (week.conversations, week.answered, week.unanswered) == (9, 2, 5)
    assert week.gave_up[stages.index("Fråga 3")] == 1
    report = insight.unanswered_report(conversations)
    assert {u.reason for u in report.items} == {"not_in_documents", "clarification", "fallback"}
