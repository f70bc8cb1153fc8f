"""Which answer to give a question: never answer a different question than the one asked.

Pure module (no rasa_sdk). `decide` takes the NLU intent ranking and the text and returns one of
  topic      the knowledge topic of a confident intent that covers the question,
  passage    a seed passage quoted word for word (finsam.passages),
  clarify    "Menar du …?" between plausibly related topics,
  honest     "det framgår inte av förbundets underlag" (or the out-of-scope reply),
  sketch_offer  a statement that reads as an answer to the idea sketch, outside it: the sketch is offered,
plus small talk ("ok", "👍") and follow-ups about the last topic ("vad menas med det?"), which
finsam.message_kind tells apart.
When the intent is unsure, the top two are close, or the question names something the topic
does not cover, the order of preference is passage, clarification, honest answer.
`render` turns a decision into the texts and buttons the bot sends. Thresholds were tuned on the
held-out third of tests/data/questions.yml (`make eval-questions`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Collection, List, Optional, Sequence, Set, Tuple

from finsam.knowledge import KnowledgeBase, Topic
from finsam.message_kind import asks, english_names, is_english, is_follow_up, is_small_talk
from finsam.passages import Hit, PassageIndex, analyse, fold, get_index, spacy_pipeline
from finsam.question_shape import (
    AMOUNT_QUESTION,
    DURATION_QUESTION,
    IDENTITY_QUESTION,
    NUMBER,
    SELF_NAMED,
    past_or_outcome,
    without_self_introduction,
)
from finsam.vocabulary import NAMING, NOT_COVERED, YEAR, Vocabulary, get_vocabulary, words_of

# An FAQ intent at least this sure ... (0.80 rather than 0.60: between the two, on five retrained models, very
# sure examples or the unsure path answered 0.5 points more of the held-out third right and gave a different
# topic 0.5 points less often, the blind set as before)
CONFIDENT = 0.80
MARGIN = 0.30  # ... and this far ahead of the next one is answered with its topic
ENGLISH_CONFIDENT = 0.80  # English, answered only from the intent (the documents are Swedish), no lower
SURE = 0.98  # so sure that a noun the bot has never seen does not stop the topic answer
AGREED_SURE = 0.95  # ... or this sure, when the example ranking agrees on the intent
EXAMPLES_SURE = 0.95  # the example ranking alone answers from this on, when DIET is unsure ...
EXAMPLES_SUPPORT = 3  # ... and the intent is a topic, or one DIET ranks among its first three
EXAMPLES_SUPPORT_MIN = 0.05  # the one related topic that the examples give this much is answered, not offered
                             # in "Menar du …?"; when the models disagree, without it DIET's top stays below
                             # SINGLE_OPTION
PASSAGE_COVERAGE = 0.60  # share of the question's (idf-weighted) words the passage must contain
PASSAGE_MIN_WORDS = 2  # (or every word of a one-word question: "vad betyder nollklassade?")
CLARIFY_MIN = 0.05  # a topic offered in "Menar du …?" has at least this confidence ...
CLARIFY_MAX_OPTIONS = 3  # ... and shares a word with the question
SINGLE_OPTION = 0.45  # the only related topic, first among the FAQ intents, is answered from this on
FOLLOW_UP_CONFIDENCE = 0.5
COMPOUND_LENGTH = 9  # an unknown noun or verb this long is a compound that names something
MAX_TOPIC_TURNS = 3  # a follow-up can lean on the last topic for this many turns

SMALL_TALK_INTENTS = {"affirm", "deny", "skip_question"}
SKETCH_ANSWER_INTENT = "inform_sketch"
DATE = re.compile(r"\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|"
                  r"december) \d{4}")


SKETCH_BUTTONS = {"sketch_offer": {"title": "Skriv en idéskiss", "payload": "/start_sketch"},
                  "sketch_offer_unfinished": {"title": "Fortsätt med idéskissen", "payload": "/sketch_resume"}}


@dataclass
class Decision:
    kind: str  # topic | passage | clarify | honest | sketch_offer | small_talk | follow_up
    topic: Optional[Topic] = None
    hit: Optional[Hit] = None
    options: List[Topic] = field(default_factory=list)
    message: str = ""  # messages.yml key for honest / follow-up answers
    english: bool = False
    confidence: float = 0.0
    reason: str = ""  # why, for the evaluation and the logs


@dataclass
class Reply:
    texts: List[str]
    buttons: List[dict] = field(default_factory=list)


def _ranking(ranking: Sequence[dict]) -> List[Tuple[str, float]]:
    return [(r["name"], float(r.get("confidence") or 0.0)) for r in ranking
            if r.get("name") and r["name"] != "nlu_fallback"]


def weigh_second_opinion(ranked: List[Tuple[str, float]], examples: List[Tuple[str, float]],
                         confident: float = CONFIDENT,
                         topics: Collection[str] = ()) -> Tuple[List[Tuple[str, float]], float]:
    """DIET's ranking as weighed by the example ranking (rasa_addons.example_ranker), and how sure
    a topic must be to be answered although the question names a word the bot has never seen.

    The two models err on different questions, and the examples' very sure choice of a topic is the
    better one when DIET is unsure (eight retrained models: never a different topic, whatever rank
    DIET gave it). Then the examples' intent is answered, but a word the bot has never seen still
    stops it (SURE was tuned on DIET's confidences, and DIET is unsure; in English no word counts as
    unknown, the documents being Swedish). An intent that is no topic (a follow-up, "ok", a sketch
    answer) takes over only when DIET ranks it among its first three: whether the user asked a
    question at all stays mostly DIET's call. Otherwise, when they agree, DIET's
    answer stands (and may carry an unknown word from AGREED_SURE on); when they disagree, DIET is
    never confident, so the question gets a passage, "Menar du …?" or the honest answer. Without
    any support from the examples, not even DIET's one related topic is answered.
    """
    if not ranked or not examples:
        return ranked, SURE
    (top, confidence), (example_top, example_confidence) = ranked[0], examples[0]
    plausible = example_top in topics or example_top in [intent for intent, _ in ranked[:EXAMPLES_SUPPORT]]
    if example_confidence >= EXAMPLES_SURE and confidence < confident and plausible:
        rest = [(intent, min(score, CLARIFY_MIN)) for intent, score in ranked if intent != example_top]
        return [(example_top, example_confidence)] + rest, float("inf")
    if top == example_top:
        return ranked, AGREED_SURE
    supported = dict(examples).get(top, 0.0) >= EXAMPLES_SUPPORT_MIN
    cap = confident - 0.01 if supported else SINGLE_OPTION - 0.01
    # The examples' choice may be offered in "Menar du …?" beside DIET's.
    others = dict(ranked[1:])
    others[example_top] = max(others.get(example_top, 0.0), CLARIFY_MIN)
    return [(top, min(confidence, cap))] + sorted(others.items(), key=lambda item: -item[1]), SURE


def decide(text: str, ranking: Sequence[dict], knowledge: KnowledgeBase, last_topic: Optional[str] = None,
           index: Optional[PassageIndex] = None, vocabulary: Optional[Vocabulary] = None,
           example_ranking: Sequence[dict] = (), sketch_started: bool = False,
           in_sketch: bool = False) -> Decision:
    """The answer to give; see the module docstring. `sketch_started`: an unfinished idea sketch has answers;
    `in_sketch`: its form is asking a question right now."""
    diet = _ranking(ranking)
    examples = _ranking(example_ranking)
    english = is_english(text)
    # Unsure means below the bar of the question's language (English is answered from the intent alone).
    bar = ENGLISH_CONFIDENT if english else CONFIDENT
    ranked, sure = weigh_second_opinion(diet, examples, bar, knowledge.intents)
    top, confidence = ranked[0] if ranked else ("", 0.0)
    second = ranked[1][1] if len(ranked) > 1 else 0.0

    def said(intents: Set[str]) -> bool:
        # DIET's own call (disagreeing examples weigh which topic answers a question, not whether
        # the user asked one), or the intent that very sure examples chose.
        return any(name in intents and score >= FOLLOW_UP_CONFIDENCE for name, score in diet[:1] + ranked[:1])

    # A yes or no that asks nothing and names nothing ("nej det var allt") is an acknowledgement too;
    # "ja, hur söker man?" is a question however sure the intent is of the "ja".
    if is_small_talk(text) or (said(SMALL_TALK_INTENTS) and not asks(text)
                               and (len(words_of(text)) <= 3 or not _names_something(text))):
        return Decision("small_talk", reason="kvittens")
    last = knowledge.topic_by_id(last_topic)
    # Without a last topic, "gäller det även de som är över pensionsåldern" is a question of its own.
    if (is_follow_up(text) or said({"ask_follow_up"})) and (last or not _names_something(text)):
        return _follow_up(text, last)

    # Outside the form a description of an idea has nowhere to go and asks nothing: offer the sketch
    # rather than "det framgår inte av underlaget".
    if said({SKETCH_ANSWER_INTENT}) and not in_sketch and not english and not asks(text):
        return Decision("sketch_offer", message="sketch_offer_unfinished" if sketch_started else "sketch_offer",
                        reason="en beskrivning av en idé, ingen fråga")
    index = index or get_index(knowledge)
    vocabulary = vocabulary or get_vocabulary(knowledge, index)
    analysed = analyse(without_self_introduction(text))
    words = [terms for terms, _ in analysed]
    # English words are all unknown to the Swedish documents: there the intent alone decides.
    unknown_words = [] if english else vocabulary.unknown(analysed)
    # A year, a past period or an outcome is no word: English or Swedish, the documents speak only of their own
    # years and plans.
    folded = fold(text)
    periods = vocabulary.unknown_years(text) + past_or_outcome(folded)
    # The user's own name ("jag heter Lars", "mvh Karin Svensson") is no subject of the question.
    own_names = {fold(word) for match in SELF_NAMED.finditer(text) for word in match.group(2).split()}
    unknown_words = [(word, pos) for word, pos in unknown_words if word not in own_names]
    names = english_names(text, vocabulary) if english else vocabulary.unknown_abbreviations(text)
    unknown = list(dict.fromkeys(  # once each: "ADHD" is an abbreviation and a noun
        periods + names + ([] if english else [word for word, pos in unknown_words if pos in NAMING])))
    topic = knowledge.topic_for_intent(top)
    # A name the documents never use (another förbund's county, a company, "ESF", "in Kalmar") or a period
    # they do not speak of is another subject however sure the intent is: "vad gäller i
    # samordningsförbundet Skåne" is not about this förbund's purpose, "nästa möte 2027" not about the
    # board's decision in 2020.
    if periods or names or any(pos == "PROPN" for _, pos in unknown_words):
        sure = float("inf")

    def finish(decision: Decision) -> Decision:
        decision.english = english
        decision.confidence = confidence
        return decision

    timed = bool(DURATION_QUESTION.search(folded))

    def answers(candidate: Topic) -> bool:
        return not timed or bool(_dated_sources(candidate))

    confident = confidence >= bar and confidence - second >= MARGIN
    if topic and confident and answers(topic) and (not unknown or confidence >= sure):
        # A noun that belongs to another topic's subject: the sure intent may have read the rest of
        # the question ("vad är postadressen till förbundet?" is not about the förbund's purpose).
        owners = [] if english else vocabulary.owners_elsewhere(analysed, top,
                                                                names_count=bool(AMOUNT_QUESTION.search(folded)))
        # A year of the documents belongs to the topic whose sources give it: "vad beslutade styrelsen i
        # april 2017" is about the 2017 decision on staff costs, not about the board's decisions in 2020.
        owners += [intent for intent in _year_owners(text, top, knowledge) if intent not in owners]
        if owners:
            options = [topic] + [knowledge.topic_for_intent(intent) for intent in owners]
            return finish(Decision("clarify", options=options[:CLARIFY_MAX_OPTIONS],
                                   reason=f"{top} {confidence:.2f}; ordet hör till {', '.join(owners)}"))
        return finish(Decision("topic", topic=topic, reason=f"{top} {confidence:.2f}"))
    if top in NOT_COVERED and confidence >= CONFIDENT:
        return finish(Decision("honest", message=NOT_COVERED[top], reason=f"{top} {confidence:.2f}"))
    if unknown:
        return finish(_not_in_documents(unknown, f"{top} {confidence:.2f}"))
    reason = f"osäker: {top} {confidence:.2f}, tvåa {second:.2f}"
    if english:
        return finish(Decision("honest", message="not_in_documents", reason=reason))

    # Below a confident topic, a long word nobody uses stops the passage and "Menar du …?" too, even
    # one the small tagger misreads as a verb ("laddstolpar vid Wämö Center" shares only the address).
    # A short unknown verb ("skiljer") or an adverb ("överhuvudtaget") names nothing.
    compounds = [word for word, _ in unknown_words if len(word) >= COMPOUND_LENGTH]
    if top in NOT_COVERED:
        # The likeliest reading is "not in the documents": a passage that shares a few words (an
        # address for "laddstolpar vid Wämö Center") would answer a question nobody asked. Unless the
        # examples read a topic and a passage holds the question ("varför är gemensamma utbildningar bra").
        examples_topic = bool(examples) and knowledge.topic_for_intent(examples[0][0]) is not None
        hit = _quotable_passage(text, folded, len(words), index) if examples_topic and not compounds else None
        if hit:
            return finish(Decision("passage", hit=hit, reason=f"{reason}; stycke {hit.coverage:.2f}"))
        return finish(Decision("honest", message=NOT_COVERED[top], reason=reason))
    if compounds:
        return finish(_not_in_documents(compounds, reason))
    hit = _quotable_passage(text, folded, len(words), index)
    if hit:
        return finish(Decision("passage", hit=hit, reason=f"{reason}; stycke {hit.coverage:.2f}"))
    options = []
    for intent, score in ranked:
        candidate = knowledge.topic_for_intent(intent)
        # Related: shares a word with the question and names nothing the topic does not cover.
        if candidate and score >= CLARIFY_MIN and answers(candidate) and vocabulary.shares_word(words, intent) \
                and not vocabulary.outside_topic(analysed, intent):
            options.append(candidate)
        if len(options) == CLARIFY_MAX_OPTIONS:
            break
    # The one related topic gets its answer, not "Menar du …?", when it is the FAQ intent NLU ranks
    # first, or when the examples support it (on five retrained models that answered 14 questions
    # right and none wrong; without example support a lone option was wrong 7 times in 9).
    if len(options) == 1:
        only = options[0].intent
        faq = [(intent, score) for intent, score in ranked if knowledge.topic_for_intent(intent)]
        ranked_first = faq[0][0] == only and faq[0][1] >= SINGLE_OPTION \
            and (len(faq) < 2 or faq[0][1] - faq[1][1] >= MARGIN)
        if ranked_first or dict(examples).get(only, 0.0) >= EXAMPLES_SUPPORT_MIN:
            return finish(Decision("topic", topic=options[0], reason=f"{reason}; enda närliggande ämnet"))
    if options:
        return finish(Decision("clarify", options=options, reason=reason))
    return finish(Decision("honest", message="not_in_documents", reason=reason))


def _not_in_documents(words: Sequence[str], reason: str) -> Decision:
    return Decision("honest", message="not_in_documents",
                    reason=f"{', '.join(words)} står inte i underlaget ({reason})")


@lru_cache(maxsize=256)  # the same few passages come back; the pipeline need not read them again
def _names_a_person(text: str) -> bool:
    # The small NER misses some names; then the passage is not quoted, which errs on the honest side.
    return any(entity.label_ == "PER" for entity in spacy_pipeline()(text).ents)


def _quotable_passage(text: str, folded: str, word_count: int, index: PassageIndex) -> Optional[Hit]:
    """The seed passage that holds the question, if one does (and gives the number or person it asks for)."""
    hit = index.best(text)
    if hit and AMOUNT_QUESTION.search(folded) and not NUMBER.search(fold(hit.passage.text)):
        return None
    if hit and IDENTITY_QUESTION.search(folded) and not _names_a_person(hit.passage.text):
        return None
    if hit and hit.coverage >= PASSAGE_COVERAGE and len(hit.matched) >= min(PASSAGE_MIN_WORDS, word_count):
        return hit
    return None


def _year_owners(text: str, intent: str, knowledge: KnowledgeBase) -> List[str]:
    owners: List[str] = []
    for year in set(YEAR.findall(text)):
        users = [t.intent for t in knowledge.topics if year in " ".join([t.answer] + [r.quote for r in t.sources])]
        # Only a year one topic alone gives: 2020 and 2021, the years of the whole plan, name no subject.
        if len(users) == 1 and intent not in users and users[0] not in owners:
            owners.append(users[0])
    return owners


def _dated_sources(topic: Topic) -> list:
    return [ref for ref in topic.sources if DATE.search(" ".join(ref.quote.split()))]


def _names_something(text: str) -> bool:
    return any(pos in NAMING for _, pos in analyse(text))


def _follow_up(text: str, topic: Optional[Topic]) -> Decision:
    if topic is None:
        return Decision("follow_up", message="follow_up_unknown", reason="uppföljning utan tidigare ämne")
    words = set(words_of(fold(text)))
    if "nar" in words:
        kind = "follow_up_when"
    elif "galler" in words:
        kind = "follow_up_applies"
    else:
        kind = "follow_up_explain"
    return Decision("follow_up", topic=topic, message=kind, reason=f"uppföljning om {topic.id}")


def topic_turns(decision: Decision, last_topic: Optional[str], turns: float) -> Tuple[Optional[str], float]:
    """The last topic and its age after this answer: a new topic starts over, others age it."""
    if decision.kind == "topic" and decision.topic:
        return decision.topic.id, 0.0
    if decision.kind == "small_talk" or (decision.kind == "follow_up" and decision.topic):
        return last_topic, turns  # a follow-up or an "ok" does not move the conversation on
    if last_topic and turns + 1 < MAX_TOPIC_TURNS:
        return last_topic, turns + 1
    return None, 0.0


def render(decision: Decision, knowledge: KnowledgeBase) -> Reply:
    texts: List[str] = []
    buttons: List[dict] = []
    if decision.english:
        texts.append(knowledge.message("english"))
    if decision.kind == "topic":
        texts.append(knowledge.render_answer(decision.topic))
    elif decision.kind == "passage":
        passage = decision.hit.passage
        source = f"{knowledge.document_label(passage.document)}, avsnittet ”{passage.section.rstrip(' ?.')}”"
        texts.append(knowledge.message("passage").replace("{source}", source).replace("{quote}", passage.text))
    elif decision.kind == "clarify":
        texts.append(knowledge.message("clarify"))
        buttons = [{"title": t.title, "payload": f"/{t.intent}"} for t in decision.options]
        buttons.append({"title": "Inget av detta", "payload": "/ask_not_covered"})
    elif decision.kind == "small_talk":
        texts.append(knowledge.message("small_talk"))
    elif decision.kind == "sketch_offer":
        texts.append(knowledge.message(decision.message))
        buttons = [SKETCH_BUTTONS[decision.message]]
    elif decision.kind == "follow_up":
        texts.append(_render_follow_up(decision, knowledge))
    elif not decision.english:
        # The English sentence already gives the kansli contact.
        texts.append(knowledge.message(decision.message or "not_in_documents"))
    return Reply(texts, buttons)


def _render_follow_up(decision: Decision, knowledge: KnowledgeBase) -> str:
    topic = decision.topic
    if topic is None:
        return knowledge.message(decision.message)
    ref = topic.sources[0]
    if decision.message == "follow_up_when":
        dated = _dated_sources(topic)
        if not dated:
            return knowledge.message("follow_up_no_date").replace("{title}", topic.title)
        ref = dated[0]
        message = knowledge.message("follow_up_explain")
    else:
        message = knowledge.message(decision.message)
    source = f"{knowledge.document_label(ref.document)}, avsnittet ”{ref.section.rstrip(' ?.')}”"
    return (message.replace("{title}", topic.title).replace("{source}", source)
            .replace("{quote}", " ".join(ref.quote.split())))

