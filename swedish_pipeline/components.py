"""spaCy component: a Swedish lemma lookup table as back-off for words the trained
lemmatizer never saw.

Registered through the `spacy_factories` entry point (pyproject.toml), so
`spacy.load("models/sv_finsam_core_sm")` finds it in the project's venv without any
import. The table holds only words absent from the training treebanks whose lemma the
edit-tree lemmatizer gets wrong on its own; seen words keep the trained prediction.
"""

import gzip
import json
from pathlib import Path
from typing import Dict, Iterable, Optional

from spacy.language import Language
from spacy.tokens import Doc

TABLE_FILE = "lemma_table.json.gz"


class LemmaLookupBackoff:
    def __init__(self, name: str = "lemma_lookup_backoff", table: Optional[Dict[str, str]] = None):
        self.name = name
        self.table: Dict[str, str] = dict(table or {})

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            lemma = self.table.get(token.text)
            if lemma is None and token.pos_ != "PROPN":
                lemma = self.table.get(token.lower_)
            if lemma is not None:
                token.lemma_ = lemma
        return doc

    def to_disk(self, path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with gzip.open(path / TABLE_FILE, "wt", encoding="utf-8") as handle:
            json.dump(self.table, handle, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def from_disk(self, path, exclude: Iterable[str] = ()):
        with gzip.open(Path(path) / TABLE_FILE, "rt", encoding="utf-8") as handle:
            self.table = json.load(handle)
        return self


@Language.factory("lemma_lookup_backoff")
def make_lemma_lookup_backoff(nlp: Language, name: str) -> LemmaLookupBackoff:
    return LemmaLookupBackoff(name)
