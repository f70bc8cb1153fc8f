"""What kind of message a text is, before any topic: an acknowledgement ("ok", "👍"), a follow-up that leans
on the last answer ("vad menas med det?"), English, a question at all, a question by its form or a statement.
Pure module (no rasa_sdk), used by finsam.answering and by the sketch form (finsam.sketch).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import List

from finsam.passages import fold
from finsam.vocabulary import Vocabulary, words_of
from finsam.wordmatch import tagged

# A statement has a verb and is no question by its form (is_direct_question) nor a request ("berätta om
# kriterierna", "info om sista dagen"); the small tagger misses verbs ("söker" as a noun), so a long phrase
# counts as one too.
REQUEST_START = set("beratta forklara beskriv visa ge hjalp skicka kolla info information".split())
STATEMENT_LENGTH = 6
VERBS = {"VERB", "AUX"}
# "…, eller hur", "stämmer det": a statement put as a question ("det är väl …": _seeks_confirmation).
SEEKS_CONFIRMATION = re.compile(r"\beller hur\b|\beller\s*$|\bstämmer det\b|\bva\s*$")

SMALL_TALK = re.compile(
    r"(ok(ej|ey|ay|idoki)?|oki|ja+|japp|jo|jepp|yes|nej|ne|nae|nix|no|nope|vet (ej|inte)|vetej|"
    r"ingen aning|aa+|mm+|mhm|bra|toppen|fint|kul|najs|nice|perfekt|kanon|absolut|precis|jaha|aha|"
    r"ok tack|okej tack|(ok|okej|ja|nej) (da|bra))"
)
# A follow-up leans on the last answer ("vad menas med det?", "varför då?", "ge ett exempel"): the core forms
# below, after a lead-in ("men", "ok, och") and before a filler ("då", "egentligen"), which the intent may
# have read as a topic of their own.
FOLLOW_UP = re.compile(
    r"(?:(?:men|och|ok|okej|ja|nej|jaha|aha|hmm|sa|alltsa|jo|fast) )*"
    r"(vad (menas|menar du|betyder|innebar) (med )?(det|de|detta|det dar)( for (oss|mig|er))?|"
    r"nar (ar|galler|blir|sker) (det|de|detta)|nar da|"
    r"galler (det|de|detta) (\w+ ){0,2}(oss|mig|er|alla|aven|ocksa|for)( .*)?|"
    r"kan du (forklara|utveckla) (det|detta|mer|narmare)( .*)?|forklara (mer|det)|"
    r"varfor( (det|inte|sa))?|hur (menar du|menas det)|vad menar du|"
    r"(kan du )?ge (ett|nagot|nagra) exempel( pa (det|detta))?|"
    r"(har du|finns det) (ett |nagot |nagra )?exempel( pa (det|detta))?)"
    r"(?: (?:egentligen|da|alltsa|riktigt|exakt|konkret|nu|i praktiken))*"
)
# A yes or no followed by a question word asks something ("ja, hur söker man", "nej men vem kan söka").
QUESTION_START = re.compile(r"((ja|jo|nej|ok|okej|jaha|aha) )*(men |och )?"
                            r"(vem|vad|hur|nar|vart|varifran|vilk\w*|varfor|kan|far|ska|maste|finns|galler|beratta|forklara|"
                            r"beskriv|info|information)\b")
# A question without a question mark or a question word first: "jag undrar vem …", "vi funderar på om …",
# "…, hinner vi fortfarande skicka in" (a verb before its subject, only where a clause starts or with its
# object last: "ja det kan vi" is an answer).
ASKING = re.compile(r"\b(undra(r|de)?|(vill|skulle vilja|behover|vill garna) (garna )?(ha )?veta|"
                    r"(behover|vill ha|skulle vilja ha) (mer )?(info|information|hjalp|besked|svar)\b|"
                    r"fundera\w* pa (om|hur|vad|vem|nar|vilk\w*))\b|"
                    r"(^|[,;:.!–-]|\b(och|men|sa)) *(hinner|far|kan|ska|maste|behover|borde|gar|ar|har|finns|"
                    r"galler|skulle|blir|kommer) (vi|jag|man|ni|det|den|de)\b|"
                    # "… i januari hinner vi det" without the comma: verb, subject and object last.
                    r"\b(hinner|far|kan|ska|maste|gar) (vi|jag|man|ni) (det|detta|den)\s*[.!]?\s*$")
# English words that mark a message as English.
# Not "i", "in", "for", "at", "man", "be", "person", "information", "student", "just", "me", "a", "not", "from":
# Swedish words, chat Swedish ("me" for "med") or Swedish typed without å/ä/ö ("för", "åt", "nöt").
ENGLISH = set("""what whats who how when where which the do does is are can you your my we our apply applying
application money funding fund funds deadline send contact criteria priorities have of to after happens decides
group groups age expected results participants main goal target prioritise prioritize form research phone number
projects project there it i'm hello hi please thanks thank about much many should need would could get an want
help english speak private persons people company companies organization organizations association business
individual individuals unemployed sick leave job jobs work working study studies students office email address
website call why long take takes time year years month months more some any this that these those with will been
being its they them their he she his her him us am if or and yes here also only than then such very too got
give municipality municipalities county council public employment service social insurance agency""".split())
# A word, and whether it starts the text or a sentence ("Thanks! Tell me …": "Tell" is no name).
ENGLISH_WORD = re.compile(r"(?P<start>^|[.!?:])?\s*(?P<word>[A-Za-zÅÄÖåäöéü]+)")
# Capitalised in English without being names: languages, months, days.
ENGLISH_NAMES_KNOWN = ENGLISH | set("""english swedish sweden swede january february march april may june july
august september october november december monday tuesday wednesday thursday friday saturday sunday
region ngo ngos""".split())


def is_small_talk(text: str) -> bool:
    folded = " ".join(words_of(fold(text)))
    if not folded:
        return bool(text.strip())  # only emoji or punctuation: "👍", "!"
    return bool(SMALL_TALK.fullmatch(folded))


def is_follow_up(text: str) -> bool:
    return bool(FOLLOW_UP.fullmatch(" ".join(words_of(fold(text)))))


def english_names(text: str, vocabulary: Vocabulary) -> List[str]:
    """Capitalised words inside an English question that the bot has never seen ("in Kalmar", "to
    Allmänna arvsfonden"): the names the Swedish noun check would have caught."""
    names = []
    for match in ENGLISH_WORD.finditer(text):
        word, sentence_start = match.group("word"), match.group("start") is not None
        if not sentence_start and word[0].isupper() and len(word) >= 3 and word.lower() not in ENGLISH_NAMES_KNOWN \
                and fold(word) not in vocabulary.known:
            names.append(fold(word))
    return names


def is_english(text: str) -> bool:
    words = words_of(text)
    english = [w for w in words if w in ENGLISH]
    return len(english) >= 2 and len(english) >= 0.5 * len(words)


def asks(text: str) -> bool:
    """A question, with or without a question mark."""
    folded = " ".join(words_of(fold(text)))
    return "?" in text or bool(QUESTION_START.match(folded) or ASKING.search(fold(text))) or is_follow_up(text)


# A direct question puts its verb before its subject: first ("måste ansökan vara förankrad") or right after
# the question word ("vad räknas som …", "hur lång får perioden vara"). "Hur vi mäter …", "När deltagaren
# börjar …" start an answer.
QUESTION_WORDS = {"vem", "vad", "hur", "nar", "var", "vart", "varfor", "vilken", "vilket", "vilka"}
FINITE_VERBS = set("""ar kan far ska maste finns galler blir raknas kravs betyder menas gar har kostar tar behover
hander gor bor kommer skulle racker funkar fungerar innebar""".split())
# Verbs that ask with a noun subject only when the main verb follows ("får regionen vara huvudman"): "Får stöd
# av en coach" is an answer put briefly. The others ask with a pronoun ("finns det", "är det") or a definite
# or named subject ("är kommunen huvudman"), not in "Finns ett stort behov" or "Tar ca 2 år".
MODALS = {"kan", "far", "ska", "maste", "bor", "behover", "hinner", "borde", "skulle"}
SUBJECT_PRONOUNS = {"man", "vi", "jag", "ni", "du", "det", "den", "de", "hen", "han", "hon", "alla", "nagon"}
NAMING_WORDS = {"NOUN", "PROPN", "DET", "ADJ", "NUM"}
HOW_MUCH = {"mycket", "manga", "lang", "lange", "ofta", "stor", "stora", "gammal", "gamla", "tidigt", "sent"}


@lru_cache(maxsize=64)
def _tokens(text: str) -> tuple:
    """The words of the text, tagged; once per text, as the form asks several questions of one message."""
    return tuple(token for token in tagged([text])[0] if not token.is_punct and not token.is_space)


def _seeks_confirmation(text: str) -> bool:
    """ "det är väl kommunen som söker", "…, eller hur": a statement put as a question. Not "väl" as
    "well" ("Idén är väl förankrad", "Samverkan fungerar väl", "vi får väl se")."""
    if SEEKS_CONFIRMATION.search(text.lower()):
        return True
    if "väl" not in text.lower():
        return False
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if token.lower_ != "väl" or index == 0 or tokens[index - 1].pos_ not in VERBS:
            continue
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if after is not None and (after.pos_ in {"NOUN", "PROPN", "PRON", "DET"} or after.lower_ in {"inte", "så"}):
            return True
    return False


def is_direct_question(text: str) -> bool:
    """A question by its form alone: a question mark, "jag undrar …", "det är väl …", or the verb before
    its subject. An answer put briefly ("Ska bli ordinarie verksamhet", "Finns redan ett nätverk") has none."""
    text = text or ""
    if "?" in text or ASKING.search(fold(text)) or _seeks_confirmation(text):
        return True
    words = words_of(fold(text))
    if len(words) < 2:
        return False
    if words[0] in FINITE_VERBS:
        if words[1] in SUBJECT_PRONOUNS:
            return True  # "kan man …", "finns det …", "är det …"
        tokens = _tokens(text)
        if words[0] not in MODALS:
            # "är kommunen huvudman", "gäller reglerna oss": a named or definite subject ("Finns ett stort behov",
            # "Blir en del av budgeten" are answers put briefly).
            return len(tokens) > 1 and (tokens[1].pos_ == "PROPN" or tokens[1].pos_ == "NOUN"
                                        and "Def" in tokens[1].morph.get("Definite"))
        # "får regionen vara …", "ska skissen mejlas …", "måste ansökan vara förankrad": a subject, then
        # the main verb ("Får stöd av en coach" has none).
        return len(tokens) > 2 and tokens[1].pos_ in NAMING_WORDS and any(
            token.pos_ in VERBS for token in tokens[2:])
    if words[0] not in QUESTION_WORDS or words[1] in SUBJECT_PRONOUNS:
        return False
    if words[0] == "hur" and words[1] in HOW_MUCH:
        # "hur mycket pengar kan man få": the verb after the quantity, unless a relative clause says what
        # is counted ("Hur många som går till jobb mäts …").
        for word in words[2:5]:
            if word == "som":
                return False
            if word in FINITE_VERBS:
                return True
    # "vad räknas …", "vem fattar …", "hur lång får …", "hur mäter ni …"; not "hur det blir …" (subject first).
    tokens = _tokens(text)
    second_is_verb = len(tokens) > 1 and tokens[1].pos_ in VERBS
    return words[1] in FINITE_VERBS or second_is_verb or len(words) > 2 and (
        words[2] in FINITE_VERBS or words[2] in SUBJECT_PRONOUNS)


def is_statement(text: str, noun_phrase: bool = False) -> bool:
    """A clause that states something and asks nothing: in the sketch form, an answer.

    noun_phrase: a phrase without a verb counts too ("Sjukskrivna 30-55 år", a title).
    """
    if is_direct_question(text) or is_follow_up(text):
        return False
    tokens = _tokens(text)
    if not tokens or fold(tokens[0].text) in REQUEST_START:
        return False
    return noun_phrase or len(tokens) >= STATEMENT_LENGTH or any(token.pos_ in VERBS for token in tokens)
