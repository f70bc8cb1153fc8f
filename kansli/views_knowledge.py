"""Kunskapsbas: the bot's facts (knowledge/faq.yml) with stale dates flagged, editing an answer with
the same checks as the tests, a preview of the bot's reply, history with undo, and a new source
document checked against the quotes."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import List, Optional

import yaml
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from finsam.knowledge import KnowledgeBase, SourceRef, Topic, load_knowledge
from finsam.knowledge_checks import broken_quotes, stale_reasons, topic_problems
from kansli import knowledge_files as files
from kansli.auth import audit, login_required
from kansli.db import session_scope
from kansli.models_knowledge import KnowledgeChange
from kansli.source_text import UnreadableDocument, extract_text
from kansli.web import render

logger = logging.getLogger(__name__)
MAX_TEXT = 5000


def current_knowledge() -> KnowledgeBase:
    # Read fresh (not the bot's cache): the page must show what is on disk now.
    try:
        return load_knowledge(files.knowledge_dir())
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as error:
        logger.error("Knowledge base unreadable: %s", error)
        raise HTTPException(500, "Kunskapsbasen går inte att läsa just nu (ett fel i knowledge/, se `make check`). "
                                 "Boten svarar med den senast fungerande versionen.") from error


def _topic(knowledge: KnowledgeBase, topic_id: str) -> Topic:
    topic = knowledge.topic_by_id(topic_id)
    if topic is None:
        raise HTTPException(404, "Ämnet finns inte i kunskapsbasen.")
    return topic


def with_text(topic: Topic, text: files.TopicText) -> Topic:
    pairs = zip(topic.sources, text.quotes, strict=True)
    sources = tuple(SourceRef(ref.document, ref.section, quote) for ref, quote in pairs)
    return replace(topic, answer=text.answer, sources=sources)


@login_required
def knowledge_page(request: Request):
    knowledge = current_knowledge()
    rows = [{"topic": t, "stale": stale_reasons(t), "problems": topic_problems(knowledge, t)}
            for t in knowledge.topics]
    return render(request, "knowledge.html", nav="kunskap", rows=rows, knowledge=knowledge,
                  stale_count=sum(1 for r in rows if r["stale"]))


def _history(session, topic_id: str) -> List[KnowledgeChange]:
    return list(session.execute(select(KnowledgeChange).where(KnowledgeChange.topic_id == topic_id)
                                .order_by(KnowledgeChange.id.desc()).limit(50)).scalars())


def _topic_page(request: Request, knowledge: KnowledgeBase, topic: Topic, text: files.TopicText,
                fingerprint: str, problems=(), preview: Optional[str] = None, status_code: int = 200,
                message: str = ""):
    with session_scope(request.app.state.db_url) as session:
        history = _history(session, topic.id)
    changes = [{"change": c, "before": files.TopicText.from_dict(json.loads(c.before)),
                "after": files.TopicText.from_dict(json.loads(c.after))} for c in history]
    return render(request, "knowledge_topic.html", status_code=status_code, nav="kunskap", knowledge=knowledge,
                  topic=topic, text=text, fingerprint=fingerprint, problems=list(problems), preview=preview,
                  stale=stale_reasons(topic), changes=changes, message=message,
                  saved=request.query_params.get("sparad"), undone=request.query_params.get("angrad"))


@login_required
def topic_page(request: Request):
    knowledge = current_knowledge()
    topic = _topic(knowledge, request.path_params["topic_id"])
    text = files.read_topic(files.knowledge_dir(), topic.id)
    return _topic_page(request, knowledge, topic, text, text.fingerprint(),
                       preview=knowledge.render_answer(topic))


@login_required(form=True)
def save_topic(request: Request, form):
    knowledge = current_knowledge()
    topic = _topic(knowledge, request.path_params["topic_id"])
    new = files.TopicText(answer=files.clean(str(form.get("answer") or ""))[:MAX_TEXT],
                          quotes=[files.clean(str(form.get(f"quote_{i}") or ""))[:MAX_TEXT]
                                  for i in range(len(topic.sources))])
    fingerprint = str(form.get("fingerprint") or "")
    edited = with_text(topic, new)
    problems = topic_problems(knowledge, edited)
    preview = knowledge.render_answer(edited) if new.answer else None
    if problems:
        return _topic_page(request, knowledge, topic, new, fingerprint, problems=problems, preview=preview,
                           status_code=400)
    if form.get("action") != "spara":
        return _topic_page(request, knowledge, topic, new, fingerprint, preview=preview,
                           message="Förhandsvisning: så här kommer boten att svara. Inget är sparat ännu.")
    user = request.state.user
    try:
        before = files.save_topic(files.knowledge_dir(), topic.id, new, expected=fingerprint)
    except files.StaleEdit:
        return _topic_page(request, knowledge, topic, new, fingerprint, preview=preview, status_code=409,
                           message="Någon annan har sparat det här ämnet efter att du öppnade sidan. Din text "
                                   "finns kvar nedan; öppna ämnet igen för att se den nya versionen.")
    if before == new:
        return RedirectResponse(f"/kunskap/{topic.id}", status_code=303)
    with session_scope(request.app.state.db_url) as session:
        change = KnowledgeChange(actor=user["name"], topic_id=topic.id, kind="edit",
                                 before=json.dumps(before.as_dict(), ensure_ascii=False),
                                 after=json.dumps(new.as_dict(), ensure_ascii=False))
        session.add(change)
        session.flush()
        audit(session, user["username"], "ändrade_kunskap", topic.id[:60], f"ändring {change.id}")
    return RedirectResponse(f"/kunskap/{topic.id}?sparad=1", status_code=303)


@login_required(form=True)
def undo_change(request: Request, form):
    change_id = int(request.path_params["change_id"])
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        change = session.get(KnowledgeChange, change_id)
        if change is None or change.kind != "edit":
            raise HTTPException(404, "Ändringen finns inte.")
        if change.undone_by:
            raise HTTPException(409, "Den ändringen är redan ångrad.")
        topic_id = change.topic_id
        before = files.TopicText.from_dict(json.loads(change.before))
        after = files.TopicText.from_dict(json.loads(change.after))
    current = files.read_topic(files.knowledge_dir(), topic_id)
    if current is None:
        raise HTTPException(404, "Ämnet finns inte i kunskapsbasen.")
    if current != after:
        raise HTTPException(409, "Ämnet har ändrats efter den här ändringen. Ångra den senare ändringen först.")
    files.save_topic(files.knowledge_dir(), topic_id, before, expected=current.fingerprint())
    with session_scope(request.app.state.db_url) as session:
        undo = KnowledgeChange(actor=user["name"], topic_id=topic_id, kind="undo", undoes=change_id,
                               before=json.dumps(after.as_dict(), ensure_ascii=False),
                               after=json.dumps(before.as_dict(), ensure_ascii=False))
        session.add(undo)
        session.flush()
        session.get(KnowledgeChange, change_id).undone_by = undo.id
        audit(session, user["username"], "ångrade_kunskap", topic_id[:60], f"ändring {change_id}")
    return RedirectResponse(f"/kunskap/{topic_id}?angrad=1", status_code=303)


@login_required
def source_page(request: Request):
    return render(request, "knowledge_source.html", nav="kunskap", knowledge=current_knowledge(), result=None, error="",
                  document_id="")


@login_required(form=True)
def check_source(request: Request, form):
    knowledge = current_knowledge()
    document_id = str(form.get("document") or "")
    upload = form.get("file")
    error = ""
    if document_id not in knowledge.documents:
        error = "Välj vilket av förbundets dokument den nya filen ersätter."
    elif upload is None or not getattr(upload, "filename", ""):
        error = "Välj en fil att ladda upp."
    text = ""
    if not error:
        try:
            text = extract_text(upload.filename, upload.file.read(files_limit()))
        except UnreadableDocument as problem:
            error = str(problem)
    if error:
        return render(request, "knowledge_source.html", status_code=400, nav="kunskap", knowledge=knowledge,
                      result=None, error=error, document_id=document_id)
    broken = broken_quotes(knowledge, document_id, text)
    using = [t for t in knowledge.topics if any(ref.document == document_id for ref in t.sources)]
    result = {"filename": upload.filename, "characters": len(text), "document": knowledge.documents[document_id],
              "broken": [(knowledge.topic_by_id(tid), refs) for tid, refs in broken.items()],
              "standing": [t for t in using if t.id not in broken]}
    with session_scope(request.app.state.db_url) as session:
        audit(session, request.state.user["username"], "provade_ny_källa", document_id[:60],
              f"{len(broken)} ämnen påverkas")
    return render(request, "knowledge_source.html", nav="kunskap", knowledge=knowledge, result=result, error="",
                  document_id=document_id)


def files_limit() -> int:
    from kansli.source_text import MAX_BYTES

    return MAX_BYTES + 1  # one byte more, so "too big" is seen
