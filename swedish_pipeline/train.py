"""Train the project's small Swedish spaCy pipeline (our stand-in for sv_core_news_sm).

Usage (from the repository root, inside the project venv):

    python -m swedish_pipeline.train --data ../shared/data            # everything
    python -m swedish_pipeline.train --data ../shared/data --stage evaluate

Stages: convert -> train-ud -> train-ner -> assemble -> evaluate. Each stage prints
its progress; the intermediate corpora and models live in build/spacy/ (not committed),
the assembled pipeline in models/sv_finsam_core_sm/ (committed, with its licence).

Data (see ../shared/data/README.md):
- UD Swedish-Talbanken dev + UD Swedish-PUD, shuffled and split 90/10 into train/dev,
  teach tagger, morphologizer, trainable lemmatizer and parser.
- UD Swedish-Talbanken *test* is never trained on: it is the yardstick the official
  sv_core_news_sm figures were measured on.
- swedish-ner-corpus train (90/10 train/dev) teaches NER; its test split is the yardstick.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.training.converters import conllu_to_docs

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(__file__).resolve().parent / "configs"
PIPELINE_NAME = "sv_finsam_core_sm"
PIPELINE_VERSION = "1.0.0"

# Published figures of the official sv_core_news_sm 3.4.0 on Talbanken test.
OFFICIAL_SCORES = {"pos_acc": 95.05, "lemma_acc": 94.64, "dep_uas": 81.65}

NO_SPACE_BEFORE = set(".,:;!?)]}%»”")
NO_SPACE_AFTER = set("([{«“")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def read_conllu(path: Path) -> List[Doc]:
    text = path.read_text(encoding="utf-8")
    # One doc per sentence so that the random train/dev split is by sentence.
    return list(conllu_to_docs(text, n_sents=1, merge_subtokens=True, no_print=True))


def read_ner_corpus(path: Path, vocab) -> List[Doc]:
    """Read the IO-tagged corpus; adjacent tokens of one label form one entity."""
    docs: List[Doc] = []
    sentence: List[Tuple[str, str]] = []

    def flush() -> None:
        if not sentence:
            return
        words = [w for w, _ in sentence]
        spaces = []
        for i, word in enumerate(words):
            nxt = words[i + 1] if i + 1 < len(words) else None
            spaces.append(
                nxt is not None and nxt not in NO_SPACE_BEFORE and word not in NO_SPACE_AFTER
            )
        doc = Doc(vocab, words=words, spaces=spaces)
        ents = []
        start = None
        for i, (_, label) in enumerate(sentence + [("", "0")]):
            prev = sentence[i - 1][1] if i > 0 else "0"
            if start is not None and label != prev:
                ents.append(doc.char_span(doc[start].idx, doc[i - 1].idx + len(doc[i - 1]), label=prev))
                start = None
            if label != "0" and start is None:
                start = i
        doc.ents = [e for e in ents if e is not None]
        docs.append(doc)
        sentence.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if not fields:
            flush()
        elif len(fields) == 2 and fields[1] in {"0", "PER", "LOC", "ORG", "MISC"}:
            sentence.append((fields[0], fields[1]))
        # Lines without exactly two fields (the stray "bn") are skipped, as the README says.
    flush()
    return docs


def split(docs: List[Doc], dev_share: float, seed: int) -> Tuple[List[Doc], List[Doc]]:
    docs = list(docs)
    random.Random(seed).shuffle(docs)
    n_dev = max(1, int(len(docs) * dev_share))
    return docs[n_dev:], docs[:n_dev]


def save(docs: Iterable[Doc], path: Path) -> int:
    docs = list(docs)
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    return len(docs)


def stage_convert(data: Path, work: Path) -> None:
    nlp = spacy.blank("sv")
    talbanken = data / "ud-swedish-talbanken"
    pud = data / "ud-swedish-pud" / "sv_pud-ud-test.conllu"
    ner = data / "swedish-ner-corpus"
    for required in (talbanken / "sv_talbanken-ud-dev.conllu", talbanken / "sv_talbanken-ud-test.conllu", pud,
                     ner / "train_corpus.txt", ner / "test_corpus.txt"):
        if not required.exists():
            sys.exit(f"Saknar träningsdata: {required} (se ../shared/data/README.md)")

    ud_docs = read_conllu(talbanken / "sv_talbanken-ud-dev.conllu") + read_conllu(pud)
    ud_train, ud_dev = split(ud_docs, 0.1, seed=13)
    log(f"UD train {save(ud_train, work / 'ud-train.spacy')} sentences, dev {save(ud_dev, work / 'ud-dev.spacy')}")
    # The final model also learns from the dev sentences: the step count is chosen on the
    # 90/10 split first (see README), and every sentence counts with so little data.
    log(f"UD all (train + dev) {save(ud_train + ud_dev, work / 'ud-all.spacy')} sentences")
    n_test = save(read_conllu(talbanken / "sv_talbanken-ud-test.conllu"), work / "talbanken-test.spacy")
    log(f"Talbanken test (held out, evaluation only): {n_test} sentences")

    ner_train, ner_dev = split(read_ner_corpus(ner / "train_corpus.txt", nlp.vocab), 0.1, seed=13)
    log(f"NER train {save(ner_train, work / 'ner-train.spacy')} sentences, dev {save(ner_dev, work / 'ner-dev.spacy')}")
    n_ner_test = save(read_ner_corpus(ner / "test_corpus.txt", nlp.vocab), work / "ner-test.spacy")
    log(f"NER test (held out): {n_ner_test} sentences")


def train_component(config: str, prefix: str, work: Path, max_steps: int, train_set: str = "train",
                    overrides: Optional[dict] = None) -> None:
    from spacy.cli.train import train

    output = work / f"model-{prefix}"
    if output.exists():
        shutil.rmtree(output)
    log(f"Training {prefix} pipeline from configs/{config} (max {max_steps} steps)")
    train(
        CONFIG_DIR / config,
        output,
        use_gpu=-1,
        overrides={
            "paths.train": str(work / f"{prefix}-{train_set}.spacy"),
            "paths.dev": str(work / f"{prefix}-dev.spacy"),
            "training.max_steps": max_steps,
            **(overrides or {}),
        },
    )


def build_lemma_tables(model_path: Path, work: Path) -> Tuple[dict, dict]:
    """The back-off component's lexicon (from the treebanks) and lookup table (from
    spacy-lookups-data); see swedish_pipeline/components.py for how they are used."""
    import gzip
    from collections import Counter, defaultdict

    import spacy_lookups_data

    from swedish_pipeline.components import lexicon_key

    # A private copy: checking 600,000 words would otherwise fill the shipped vocab.
    nlp = spacy.load(model_path)
    seen = set()
    by_form_pos = defaultdict(Counter)
    for doc in DocBin().from_disk(work / "ud-all.spacy").get_docs(nlp.vocab):
        for token in doc:
            seen.update((token.text, token.lower_))
            by_form_pos[lexicon_key(token.text, token.pos_)][token.lemma_] += 1
    lexicon = {key: counts.most_common(1)[0][0] for key, counts in by_form_pos.items()}

    table_path = Path(spacy_lookups_data.__file__).parent / "data" / "sv_lemma_lookup.json.gz"
    with gzip.open(table_path, "rt", encoding="utf-8") as handle:
        full = json.load(handle)
    base_forms = set(full.values())
    candidates = {form: lemma for form, lemma in full.items()
                  if form not in seen and lemma != form and form not in base_forms}
    log(f"Lemma table: {len(full)} entries, {len(candidates)} for unseen, unambiguous words; "
        "checking which the trained lemmatizer already gets right …")
    kept = {}
    forms = list(candidates)
    with nlp.select_pipes(enable=["tok2vec", "tagger", "morphologizer", "trainable_lemmatizer"]):
        docs = (Doc(nlp.vocab, words=[form]) for form in forms)
        for i, (form, doc) in enumerate(zip(forms, nlp.pipe(docs, batch_size=4000), strict=True)):
            if doc[0].lemma_ != candidates[form]:
                kept[form] = candidates[form]
            if i and i % 100000 == 0:
                log(f"  {i}/{len(forms)} checked, {len(kept)} kept")
    log(f"Lemma back-off: {len(lexicon)} lexicon entries, {len(kept)} table entries")
    return kept, lexicon


def stage_assemble(work: Path, output: Path) -> None:
    from swedish_pipeline.components import LemmaLookupBackoff

    ud_model = work / "model-ud" / "model-last"
    nlp = spacy.load(ud_model)
    ner_nlp = spacy.load(work / "model-ner" / "model-best")
    nlp.add_pipe("ner", source=ner_nlp)
    backoff: LemmaLookupBackoff = nlp.add_pipe("lemma_lookup_backoff", after="trainable_lemmatizer")
    backoff.table, backoff.lexicon = build_lemma_tables(ud_model, work)
    nlp.meta.update({
        "name": PIPELINE_NAME.split("_", 1)[1],
        "lang": "sv",
        "version": PIPELINE_VERSION,
        "description": "Small Swedish pipeline for the Finsam Blekinge assistant: tok2vec, tagger, "
                       "morphologizer, trainable lemmatizer with lookup back-off, parser, NER.",
        "author": "Finsam idé-skiss assistant project",
        "license": "CC BY-SA 4.0",
        "requirements": ["finsam-ideskiss (swedish_pipeline.components, for lemma_lookup_backoff)"],
        "sources": [
            {"name": "UD Swedish-Talbanken (dev split)", "url": "https://github.com/UniversalDependencies/UD_Swedish-Talbanken",
             "license": "CC BY-SA 4.0"},
            {"name": "UD Swedish-PUD", "url": "https://github.com/UniversalDependencies/UD_Swedish-PUD",
             "license": "CC BY-SA 4.0"},
            {"name": "swedish-ner-corpus (Webbnyheter 2012, Språkbanken)",
             "url": "https://github.com/klintan/swedish-ner-corpus", "license": "CC BY 4.0"},
            {"name": "spacy-lookups-data sv_lemma_lookup", "url": "https://github.com/explosion/spacy-lookups-data",
             "license": "MIT"},
        ],
    })
    if output.exists():
        shutil.rmtree(output)
    nlp.to_disk(output)
    shutil.copy(Path(__file__).resolve().parent / "MODEL_LICENSE.md", output / "LICENSE.md")
    size = sum(f.stat().st_size for f in output.rglob("*") if f.is_file()) / 1e6
    log(f"Pipeline written to {output} ({size:.1f} MB): {nlp.pipe_names}")


def evaluate_pipeline(model: Path, work: Path) -> dict:
    nlp = spacy.load(model)
    results = {}
    for corpus, keys in (("talbanken-test", ("pos_acc", "tag_acc", "morph_acc", "lemma_acc", "dep_uas", "dep_las")),
                         ("ner-test", ("ents_p", "ents_r", "ents_f"))):
        gold = list(DocBin().from_disk(work / f"{corpus}.spacy").get_docs(nlp.vocab))
        examples = [Example(nlp.make_doc(doc.text), doc) for doc in gold]
        scores = nlp.evaluate(examples)
        results[corpus] = {key: round(100 * scores[key], 2) for key in keys if scores.get(key) is not None}
        log(f"{corpus}: {results[corpus]}")
    return results


def stage_evaluate(work: Path, output: Path) -> None:
    results = evaluate_pipeline(output, work)
    meta_path = output / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["performance"] = {**results["talbanken-test"], **results["ner-test"]}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [
        "# Scores of sv_finsam_core_sm",
        "",
        "Measured by `python -m swedish_pipeline.train --stage evaluate` on data never trained on.",
        "",
        "| metric | ours | official sv_core_news_sm 3.4.0 |",
        "|---|---|---|",
    ]
    names = {"pos_acc": "POS (UPOS)", "tag_acc": "TAG (XPOS)", "morph_acc": "MORPH", "lemma_acc": "LEMMA",
             "dep_uas": "UAS", "dep_las": "LAS"}
    for key, name in names.items():
        ours = results["talbanken-test"].get(key, "–")
        lines.append(f"| {name}, Talbanken test | {ours} | {OFFICIAL_SCORES.get(key, '–')} |")
    for key in ("ents_p", "ents_r", "ents_f"):
        lines.append(f"| NER {key[-1].upper()}, swedish-ner-corpus test | {results['ner-test'].get(key)} | – |")
    (output / "SCORES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"Scores written to {output / 'SCORES.md'}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "build" / "spacy")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "models" / PIPELINE_NAME)
    parser.add_argument("--ud-steps", type=int, default=3500,
                        help="steps for the final UD model (chosen with --stage tune-ud)")
    parser.add_argument("--ner-steps", type=int, default=5000)
    parser.add_argument("--stage", default="all",
                        choices=["all", "convert", "tune-ud", "train-ud", "train-ner", "assemble", "evaluate"])
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    stages = ["convert", "train-ud", "train-ner", "assemble", "evaluate"] if args.stage == "all" else [args.stage]
    for stage in stages:
        log(f"== stage {stage}")
        if stage == "convert":
            stage_convert(args.data, args.work)
        elif stage == "tune-ud":
            # 90/10 split with early stopping: shows where the dev score levels off.
            train_component("ud.cfg", "ud", args.work, 5000)
        elif stage == "train-ud":
            train_component("ud.cfg", "ud", args.work, args.ud_steps, train_set="all",
                            overrides={"training.patience": 0})
        elif stage == "train-ner":
            train_component("ner.cfg", "ner", args.work, args.ner_steps)
        elif stage == "assemble":
            stage_assemble(args.work, args.output)
        elif stage == "evaluate":
            stage_evaluate(args.work, args.output)


if __name__ == "__main__":
    main()
