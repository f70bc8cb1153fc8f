"""Text of an uploaded source document (.txt, .docx, .pdf), for checking the quotes against it.

.docx through python-docx, .pdf through pypdf (both pinned in requirements.txt). Nothing is stored:
the kansli sees which topics' quotes no longer stand in the new text.
"""
from __future__ import annotations

import io
import re
from pathlib import PurePath

MAX_BYTES = 10 * 1024 * 1024
KINDS = (".txt", ".docx", ".pdf")


class UnreadableDocument(ValueError):
    """A Swedish message for the person uploading."""


def extract_text(filename: str, body: bytes) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in KINDS:
        raise UnreadableDocument("Välj en fil av typen .txt, .docx eller .pdf.")
    if not body:
        raise UnreadableDocument("Filen är tom.")
    if len(body) > MAX_BYTES:
        raise UnreadableDocument("Filen är större än 10 MB.")
    try:
        if suffix == ".txt":
            text = _txt(body)
        elif suffix == ".docx":
            text = _docx(body)
        else:
            text = _pdf(body)
    except UnreadableDocument:
        raise
    except Exception as error:  # a broken or disguised file: say so, never a stack trace
        raise UnreadableDocument(f"Filen gick inte att läsa som {suffix} ({type(error).__name__}).") from error
    if not text.strip():
        raise UnreadableDocument("Filen innehåller ingen text som går att läsa (en inskannad pdf behöver OCR först).")
    return text


def _txt(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252")  # older Windows files


def _docx(body: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def _pdf(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    if reader.is_encrypted:
        raise UnreadableDocument("Pdf-filen är lösenordsskyddad.")
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    # A word broken over two lines ("samverkans-\nmedel") is one word in the quotes.
    return re.sub(r"(?<=[a-zåäö])-\n(?=[a-zåäö])", "", text)
