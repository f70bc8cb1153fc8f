"""spaCy component: a Swedish lemma lookup table as back-off for words the trained
lemmatizer never saw.

Registered through the `spacy_factories` entry point (pyproject.toml), so
`spacy.load("models/sv_finsam_core_sm")` finds it in the project's venv without any
import. Order of trust for each token:
1. `lexicon`: the lemma the training treebanks give this form with this POS (the
   edit trees do not always fit the words they were trained on);
2. `table`: spacy-lookups-data's Swedish table, only for words absent from the
   treebanks, that are not themselves a base form (those are POS-ambiguous, such as
   "lån", so the context-aware edit tree decides), and that the edit tree gets wrong;
3. the edit tree's own prediction;
4. the word itself (lower-cased unless a proper noun) when no edit tree applied.
"""

import gzip
import json
from pathlib import Path
from typing import Dict, Iterable, Optional

from spacy.language import Language
from spacy.tokens import Doc

TABLE_FILE = "lemma_table.json.gz"


def lexicon_key(form: str, pos: str) -> str:
    return f"{form}\t{pos}"


class LemmaLookupBackoff:
    def __init__(self, name: str = "lemma_lookup_backoff", table: Optional[Dict[str, str]] = None,
                 lexicon: Optional[Dict[str, str]] = None):
        self.name = name
        self.table: Dict[str, str] = dict(table or {})
        self.lexicon: Dict[str, str] = dict(lexicon or {})

    def lemma_for(self, text: str, lower: str, pos: str, predicted: str) -> str:
        lemma = self.lexicon.get(lexicon_key(text, pos))
        if lemma is None:
            lemma = self.table.get(text)
        if lemma is None and pos != "PROPN":
            lemma = self.table.get(lower)
        if lemma is None:
            lemma = predicted or (text if pos == "PROPN" else lower)
        return lemma

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            lemma = self.lemma_for(token.text, token.lower_, token.pos_, token.lemma_)
            if lemma != token.lemma_:
                token.lemma_ = lemma
        return doc

    def to_disk(self, path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with gzip.open(path / TABLE_FILE, "wt", encoding="utf-8") as handle:
            json.dump({"table": self.table, "lexicon": self.lexicon}, handle, ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True)

    def from_disk(self, path, exclude: Iterable[str] = ()):
        with gzip.open(Path(path) / TABLE_FILE, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        self.table, self.lexicon = data["table"], data["lexicon"]
        return self


@Language.factory("lemma_lookup_backoff")
def make_lemma_lookup_backoff(nlp: Language, name: str) -> LemmaLookupBackoff:
    return LemmaLookupBackoff(name)
