"""Obesvarade frågor and Översikt: what users needed, from the bot's tracker store (kansli.insight)."""
from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from finsam import feedback
from finsam.erasure import tracker_engine
from kansli import charts, insight, review_file
from kansli.auth import audit, login_required
from kansli.db import session_scope
from kansli.erasure import tracker_location
from kansli.views_knowledge import current_knowledge
from kansli.web import render

logger = logging.getLogger(__name__)


def _conversations(request: Request, with_feedback: bool = False):
    """(knowledge, conversations, error[, 👎 answers]) – an unreachable tracker store is said, not a 500."""
    knowledge = current_knowledge()
    try:
        engine = tracker_engine(tracker_location(request.app.state.tracker_url))
        try:
            result = (knowledge, insight.read_conversations(engine, knowledge), "")
            return result + (feedback.read(engine, "down"),) if with_feedback else result
        finally:
            if engine is not None:
                engine.dispose()
    except Exception as error:
        logger.warning("Tracker store not readable: %s", type(error).__name__)
        result = (knowledge, [], "Samtalsdatabasen gick inte att läsa just nu.")
        return result + ([],) if with_feedback else result


@login_required
def unanswered_page(request: Request):
    _, convs, error, thumbs_down = _conversations(request, with_feedback=True)
    for item in thumbs_down:
        item["week"] = insight.week_of(item["created"])
    report = insight.unanswered_report(convs)
    in_review = {insight.question_key(e.get("text") or "") for e in review_file.read(review_file.review_path())}
    with session_scope(request.app.state.db_url) as session:
        audit(session, request.state.user["username"], "visade_obesvarade", None, f"{len(report.items)} frågor")
    return render(request, "unanswered.html", nav="obesvarade", report=report, reasons=insight.REASONS,
                  error=error, in_review=in_review, thumbs_down=thumbs_down, key=insight.question_key,
                  added=request.query_params.get("tillagd"), review_path=review_file.review_path().name)


@login_required(form=True)
def make_example(request: Request, form):
    text = insight.redact(str(form.get("text") or "").strip())[:500]
    reason, week = str(form.get("reason") or ""), str(form.get("week") or "")[:10]
    if not text or reason not in insight.REASONS:
        raise HTTPException(400, "Frågan saknas.")
    added = review_file.add(review_file.review_path(), text, reason, week)
    with session_scope(request.app.state.db_url) as session:
        audit(session, request.state.user["username"], "gjorde_exempel", None, "ny" if added else "fanns redan")
    return RedirectResponse(f"/obesvarade?tillagd={'1' if added else '0'}#vanligast", status_code=303)


@login_required
def overview_page(request: Request):
    knowledge, convs, error = _conversations(request)
    stages, weeks = insight.overview(convs, knowledge)
    return render(request, "overview.html", nav="oversikt", stages=stages, weeks=list(reversed(weeks)),
                  error=error, total=len(convs))


@login_required
def overview_chart(request: Request):
    knowledge, convs, _ = _conversations(request)
    stages, weeks = insight.overview(convs, knowledge)
    return Response(charts.funnel_png(stages, weeks), media_type="image/png")
