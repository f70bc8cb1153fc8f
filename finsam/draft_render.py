"""How a draft looks: Swedish dates, Markdown, the Word document, field titles.

Pure module (no rasa_sdk). It renders the draft's plain data (finsam.draft.build_draft)
and never reads user text from anywhere else. User text is stored as text: Markdown is
escaped, Word gets plain runs (no fields).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Union
from zoneinfo import ZoneInfo

OPEN_TEXT = "Öppen fråga – inte besvarad ännu."
INTRO = "Utkast skrivet med förbundets idéskiss-assistent, för kansliets granskning."
NO_SUGGESTIONS = "Inga förslag: skissen berör alla kriterier som förgranskningen tittar på."
SUGGESTIONS_INTRO = "Förslag att se över (inga hinder för att lämna in):"
PREREVIEW_HEADING = "Förgranskning mot förbundets kriterier"
LANGUAGE = "sv-SE"
# The kansli reads Swedish local time; the tzdata package is pinned so this works on a
# machine without the system time-zone database too.
LOCAL_TIME = ZoneInfo("Europe/Stockholm")
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")
# The details after the eight questions, and where the draft keeps them.
DETAIL_FIELDS = ("parties", "contact_name", "organisation", "role", "email")


def swedish_time(moment: Union[str, datetime]) -> str:
    """'24 november 2026 kl. 10.30' in Swedish local time (summer time included)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(LOCAL_TIME)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} kl. {local:%H.%M}"


def version_line(draft: dict) -> str:
    """'2 (ersätter version 1)' – or just '1'."""
    if draft.get("replaces"):
        return f"{draft['version']} (ersätter version {draft['replaces']})"
    return str(draft.get("version", 1))


def field_titles(draft: dict) -> Dict[str, str]:
    """Each field id as the kansli knows it: '2. Bakgrund (…)' or the detail's label."""
    titles = {q["id"]: f"{q['number']}. {q['heading']}" for q in draft["questions"]}
    titles.update({field: draft["labels"][field] for field in DETAIL_FIELDS if field in draft["labels"]})
    return titles


def changed_titles(draft: dict) -> List[str]:
    titles = field_titles(draft)
    return [titles.get(field, field) for field in draft.get("changed_fields") or []]


def details(draft: dict) -> List[tuple]:
    """The header rows: (label, value or '–'), reference and local time first."""
    labels, contact = draft["labels"], draft["contact"]
    rows = [("Referens", draft["reference"]), ("Version", version_line(draft)),
            ("Skapad", swedish_time(draft["created"]))]
    if draft.get("first_created") and draft["first_created"] != draft["created"]:
        rows.append(("Först inskickad", swedish_time(draft["first_created"])))
    rows += [(labels["contact_name"], contact["name"]), (labels["organisation"], contact["organisation"]),
             (labels["role"], contact["role"]), (labels["email"], contact["email"]),
             (labels["parties"], draft["parties"])]
    return [(label, value or "–") for label, value in rows]


def md_escape(text: str) -> str:
    """Escape Markdown and HTML so user text shows as typed and runs nothing."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]{}|#!])", r"\\\1", text)
    lines = []
    for line in text.split("\n"):
        # A leading "-", "+", "1." or "=" would turn a line into a list or heading.
        lines.append(re.sub(r"^(\s*)([-+=]|\d+\.)", r"\1\\\2", line))
    return "\n".join(lines)


def render_markdown(draft: dict) -> str:
    # The title is the answer to question 1; it is not repeated as the document heading.
    out = ["# Idéskiss", ""]
    out += [f"- **{md_escape(label)}:** {md_escape(value)}" for label, value in details(draft)]
    out += ["", INTRO, ""]
    if draft.get("changed_fields"):
        out += ["Ändrat sedan förra versionen:", ""]
        out += [f"- {md_escape(title)}" for title in changed_titles(draft)] + [""]
    for question in draft["questions"]:
        out += [f"## {question['number']}. {md_escape(question['heading'])}", ""]
        out += [f"*{OPEN_TEXT}*" if question["open"] else md_escape(question["answer"]), ""]
    out += [f"## {PREREVIEW_HEADING}", ""]
    if draft["suggestions"]:
        out += [SUGGESTIONS_INTRO, ""]
        out += [f"- {md_escape(s['text'])}" for s in draft["suggestions"]]
    else:
        out.append(NO_SUGGESTIONS)
    if draft["open_questions"]:
        numbers = ", ".join(str(n) for n in draft["open_questions"])
        out += ["", f"Öppna frågor: {numbers}."]
    return "\n".join(out) + "\n"


def _set_language(document, language: str) -> None:
    """Swedish as the document language, so Word spell-checks the text as Swedish."""
    from docx.oxml.ns import qn

    styles = document.styles.element
    for lang in styles.iter(qn("w:lang")):
        lang.set(qn("w:val"), language)
    settings = document.settings.element
    for lang in settings.iter(qn("w:themeFontLang")):
        lang.set(qn("w:val"), language)
    # python-docx's template also carries Word 2010's stylesWithEffects part; keep it in step.
    for part in document.part.package.iter_parts():
        if str(part.partname).endswith("/stylesWithEffects.xml"):
            part._blob = part.blob.replace(b'w:lang w:val="en-US"', f'w:lang w:val="{language}"'.encode())


def write_docx(draft: dict, path: Path, author: str = "") -> None:
    from docx import Document

    document = Document()
    _set_language(document, LANGUAGE)
    created = datetime.fromisoformat(draft["created"]).astimezone(timezone.utc)
    properties = document.core_properties
    properties.title = f"Idéskiss: {draft['title']}"[:250]
    properties.subject = f"{draft['reference']} version {draft.get('version', 1)}"
    properties.author = author
    properties.last_modified_by = author
    properties.comments = INTRO
    properties.keywords = "idéskiss"
    properties.category = "Idéskiss"
    properties.language = LANGUAGE
    properties.created = created
    properties.modified = created
    properties.revision = int(draft.get("version", 1))
    # The title is the answer to question 1 below; the heading does not repeat it.
    document.add_heading("Idéskiss", level=0)
    table = document.add_table(rows=0, cols=2)
    table.style = "Light List Accent 1"
    for label, value in details(draft):
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    document.add_paragraph(INTRO)
    if draft.get("changed_fields"):
        document.add_paragraph("Ändrat sedan förra versionen:")
        for title in changed_titles(draft):
            document.add_paragraph(title, style="List Bullet")
    for question in draft["questions"]:
        document.add_heading(f"{question['number']}. {question['heading']}", level=1)
        if question["open"]:
            run = document.add_paragraph().add_run(OPEN_TEXT)
            run.italic = True
        else:
            for paragraph in question["answer"].split("\n"):
                document.add_paragraph(paragraph)
    document.add_heading(PREREVIEW_HEADING, level=1)
    if draft["suggestions"]:
        document.add_paragraph(SUGGESTIONS_INTRO)
        for suggestion in draft["suggestions"]:
            document.add_paragraph(suggestion["text"], style="List Bullet")
    else:
        document.add_paragraph(NO_SUGGESTIONS)
    if draft["open_questions"]:
        document.add_paragraph("Öppna frågor: " + ", ".join(str(n) for n in draft["open_questions"]) + ".")
    document.save(str(path))
