"""The answer decision: never answer a different question than the one asked."""
import pytest

from finsam.answering import MAX_TOPIC_TURNS, decide, render, topic_turns
from finsam.message_kind import is_english, is_follow_up, is_small_talk


def ranking(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def decide_sure(text, intent, knowledge):
    """The decision when DIET and the examples are both sure of the intent."""
    sure = ranking((intent, 1.0))
    return decide(text, sure, knowledge, example_ranking=sure)


def test_a_confident_intent_that_covers_the_question_gets_its_topic(knowledge):
    decision = decide("nar ar sista dag att soka", ranking(("ask_deadline", 0.97), ("ask_decision", 0.02)), knowledge)
    assert decision.kind == "topic" and decision.topic.intent == "ask_deadline"
    assert render(decision, knowledge).texts == [knowledge.render_answer(decision.topic)]


def test_a_word_the_documents_never_use_gets_the_honest_answer_even_when_the_intent_is_sure(knowledge):
    decision = decide("vilka oppettider har kansliet", ranking(("ask_contact", 0.96), ("ask_how_to_apply", 0.02)),
                      knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"
    assert render(decision, knowledge).texts == [knowledge.message("not_in_documents")]


@pytest.mark.parametrize("text", ["kan man soka eu-medel via er", "kan vi söka pengar från ESF"])
def test_an_abbreviation_the_documents_never_use_gets_the_honest_answer(text, knowledge):
    # Too short for the noun check ("eu", "ESF"), yet the question is about something else.
    decision = decide(text, ranking(("ask_fundable", 0.95), ("ask_who_can_apply", 0.02)), knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"


def test_a_known_abbreviation_does_not_stop_the_topic(knowledge):
    decision = decide("kan FK och kommunen söka tillsammans", ranking(("ask_who_can_apply", 0.95)), knowledge)
    assert decision.kind == "topic" and decision.topic.intent == "ask_who_can_apply"


def test_close_top_two_never_answer_a_topic(knowledge):
    decision = decide("vem skriver rekommendationen till styrelsen",
                      ranking(("nlu_fallback", 0.5), ("ask_decision", 0.45), ("ask_after_application", 0.40)),
                      knowledge)
    assert decision.kind == "passage"
    assert "förbundschefen författar" in decision.hit.passage.text


def test_a_passage_is_quoted_verbatim_with_title_year_and_the_kansli(knowledge):
    decision = decide("vem skriver rekommendationen till styrelsen", ranking(("ask_decision", 0.4)), knowledge)
    [text] = render(decision, knowledge).texts
    assert decision.hit.passage.text in text
    assert "Sök finansiering" in text and "Kansliet kan bekräfta" in text and "Wämö Center" in text
    plan = decide("vad betyder nollklassade", ranking(("ask_purpose", 0.3), ("ask_target_age", 0.25)), knowledge)
    assert plan.kind == "passage"
    assert "Planeringsförutsättningar för projektansökningar 2021" in render(plan, knowledge).texts[0]
    assert "2020" in render(plan, knowledge).texts[0]


def test_clarification_offers_only_related_topics(knowledge):
    decision = decide("datum for styrelsen och ansokan", ranking(
        ("ask_deadline", 0.35), ("ask_decision", 0.3), ("greet", 0.2), ("ask_financing_model", 0.01)), knowledge)
    assert decision.kind in ("clarify", "passage")
    if decision.kind == "clarify":
        intents = [t.intent for t in decision.options]
        assert "ask_financing_model" not in intents and "greet" not in intents
        reply = render(decision, knowledge)
        assert reply.buttons[-1]["payload"] == "/ask_not_covered"


def test_the_only_related_topic_ranked_first_is_answered_not_asked_about(knowledge):
    # "Menar du: Hur man ansöker?" with one button, when NLU already ranks it first, is one turn too many.
    text = "ska man prata med kansliet innan man skickar in"
    decision = decide(text, ranking(("ask_how_to_apply", 0.53), ("inform_sketch", 0.29), ("ask_budget", 0.04)),
                      knowledge)
    assert decision.kind == "topic" and decision.topic.intent == "ask_how_to_apply"
    # Unsure between two FAQ topics: still a question back (or a passage), never a guess.
    decision = decide(text, ranking(("ask_how_to_apply", 0.45), ("ask_where_to_send", 0.40)), knowledge)
    assert decision.kind != "topic"


def test_the_one_related_topic_that_the_examples_support_is_answered_not_asked_about(knowledge):
    # DIET's top (the priorities) does not cover "ohälsa"; the target groups are the one related topic.
    text = "personer med psykisk ohälsa, är det något ni prioriterar"
    diet = ranking(("ask_priorities", 0.59), ("ask_target_groups", 0.35))
    supported = decide(text, diet, knowledge,
                       example_ranking=ranking(("ask_priorities", 0.90), ("ask_target_groups", 0.06)))
    assert supported.kind == "topic" and supported.topic.intent == "ask_target_groups"
    unsupported = decide(text, diet, knowledge,
                         example_ranking=ranking(("ask_priorities", 0.90), ("ask_target_groups", 0.01)))
    assert unsupported.kind == "clarify" and [t.intent for t in unsupported.options] == ["ask_target_groups"]


def test_no_clarification_for_a_question_the_documents_do_not_answer(knowledge):
    decision = decide("hur mycket ar sjukpenningen per dag",
                      ranking(("ask_not_covered", 0.4), ("ask_budget", 0.3), ("ask_financing_model", 0.2)), knowledge)
    assert decision.kind == "honest"


@pytest.mark.parametrize("text", ["ok", "Ja", "nej", "vet ej", "👍", "okej tack"])
def test_acknowledgements_get_small_talk(text, knowledge):
    assert is_small_talk(text)
    decision = decide(text, ranking(("nlu_fallback", 0.5), ("ask_budget", 0.2)), knowledge)
    assert decision.kind == "small_talk"
    assert render(decision, knowledge).texts == [knowledge.message("small_talk")]


@pytest.mark.parametrize("text,intent", [("nej det var allt", "deny"), ("ja det låter bra", "affirm"),
                                         ("ja det kan vi", "affirm")])
def test_a_short_yes_or_no_that_names_nothing_is_small_talk(text, intent, knowledge):
    decision = decide(text, ranking((intent, 0.94), ("ask_budget", 0.02)), knowledge)
    assert decision.kind == "small_talk"


def test_a_question_is_no_small_talk():
    assert not is_small_talk("ja men vem kan soka")
    assert not is_small_talk("nej, hur mycket pengar finns det")


@pytest.mark.parametrize("text,kind", [("vad menas med det?", "follow_up_explain"),
                                       ("och när är det?", "follow_up_when"),
                                       ("gäller det oss också?", "follow_up_applies")])
def test_follow_ups_are_about_the_last_topic(text, kind, knowledge):
    assert is_follow_up(text)
    decision = decide(text, ranking(("ask_follow_up", 0.9)), knowledge, last_topic="deadline")
    assert decision.kind == "follow_up" and decision.message == kind and decision.topic.id == "deadline"
    [reply] = render(decision, knowledge).texts
    assert "Sista dag för ansökan" in reply
    if kind == "follow_up_when":
        assert "2 oktober 2020" in reply


@pytest.mark.parametrize("text,kind", [("men vad betyder det egentligen", "follow_up_explain"),
                                       ("varför då?", "follow_up_explain"),
                                       ("kan du ge ett exempel på det", "follow_up_explain"),
                                       ("hur menar du då", "follow_up_explain"),
                                       ("ok, och när gäller det då?", "follow_up_when"),
                                       ("jaha, gäller det kommunerna också", "follow_up_applies")])
def test_a_follow_up_with_a_lead_in_or_a_filler_is_still_about_the_last_topic(text, kind, knowledge):
    # The intent read a topic into the words around "det"; the form of the question says follow-up.
    assert is_follow_up(text)
    decision = decide(text, ranking(("ask_purpose", 0.79), ("ask_follow_up", 0.1)), knowledge, last_topic="deadline")
    assert decision.kind == "follow_up" and decision.message == kind and decision.topic.id == "deadline"


@pytest.mark.parametrize("text", ["men vem kan söka", "och vad är en idéskiss", "varför finns förbundet"])
def test_a_question_with_a_lead_in_is_no_follow_up(text):
    assert not is_follow_up(text)


def test_a_follow_up_about_a_topic_without_a_date_says_so(knowledge):
    decision = decide("och nar ar det", ranking(("ask_follow_up", 0.9)), knowledge, last_topic="who_can_apply")
    [reply] = render(decision, knowledge).texts
    assert reply.startswith("Något datum för ”Vem kan söka medel” står inte")


def test_a_follow_up_without_a_topic_asks_for_the_whole_question(knowledge):
    decision = decide("vad menas med det", ranking(("ask_follow_up", 0.9)), knowledge, last_topic=None)
    assert render(decision, knowledge).texts == [knowledge.message("follow_up_unknown")]


def test_the_last_topic_is_kept_for_a_few_turns(knowledge):
    topic = decide("nar ar sista dag att soka", ranking(("ask_deadline", 0.97)), knowledge)
    assert topic_turns(topic, None, 0.0) == ("deadline", 0.0)
    honest = decide("vilket bankgiro har ni", ranking(("ask_not_covered", 0.9)), knowledge)
    last, turns = "deadline", 0.0
    for _ in range(MAX_TOPIC_TURNS - 1):
        last, turns = topic_turns(honest, last, turns)
        assert last == "deadline"
    assert topic_turns(honest, last, turns) == (None, 0.0)


@pytest.mark.parametrize("text, english", [
    ("can a private person apply", True),
    ("why does finsam exist", True),
    ("are people with disabilities included in the target groups", True),
    ("kan en privatperson soka for ett foretag", False),
    ("vad ar det for mal man ska uppna i projektet", False),
    ("kan man skicka in ansokan via mejl", False),
    ("information om organisation", False),
    ("ge me info om person", False),
    ("student med info", False),
])
def test_english_is_told_from_swedish_typed_without_diacritics(text, english):
    assert is_english(text) is english


def test_english_gets_one_english_sentence_and_the_swedish_answer_where_understood(knowledge):
    assert is_english("who can apply for money")
    assert not is_english("vem kan soka pengar")
    understood = decide("who can apply for money", ranking(("ask_who_can_apply", 0.95)), knowledge)
    texts = render(understood, knowledge).texts
    assert texts == [knowledge.message("english"), knowledge.render_answer(understood.topic)]
    assert "Swedish" in texts[0] and "Wämö Center" in texts[0]
    not_understood = decide("do you fund research projects", ranking(("out_of_scope", 0.9)), knowledge)
    assert render(not_understood, knowledge).texts == [knowledge.message("english")]


# The example ranking (rasa_addons.example_ranker) is a second opinion that errs on other questions.

def test_a_confident_intent_the_examples_do_not_support_is_not_answered(knowledge):
    # DIET sure of "fundable", the examples sure of "purpose": neither topic is given as if certain.
    text = "stottar ni med att ta fram nya arbetsmodeller for samverkan"
    diet = ranking(("ask_fundable", 0.82), ("ask_purpose", 0.10), ("ask_priorities", 0.03))
    assert decide(text, diet, knowledge).topic.intent == "ask_fundable"  # DIET alone would answer it
    decision = decide(text, diet, knowledge, example_ranking=ranking(("ask_purpose", 0.90), ("ask_fundable", 0.04)))
    assert decision.kind != "topic"


def test_without_any_example_support_not_even_the_one_related_topic_is_answered(knowledge):
    text = "ska man prata med kansliet innan man skickar in"
    diet = ranking(("ask_how_to_apply", 0.53), ("inform_sketch", 0.29), ("ask_budget", 0.04))
    supported = decide(text, diet, knowledge,
                       example_ranking=ranking(("inform_sketch", 0.6), ("ask_how_to_apply", 0.3)))
    assert supported.kind == "topic" and supported.topic.intent == "ask_how_to_apply"
    unsupported = decide(text, diet, knowledge,
                         example_ranking=ranking(("inform_sketch", 0.90), ("ask_deadline", 0.01)))
    assert unsupported.kind != "topic"


def test_when_the_two_disagree_both_choices_may_be_offered(knowledge):
    text = "ska man prata med kansliet innan man skickar in"
    decision = decide(text, ranking(("ask_how_to_apply", 0.53), ("inform_sketch", 0.29), ("ask_budget", 0.04)),
                      knowledge, example_ranking=ranking(("ask_contact", 0.6), ("ask_how_to_apply", 0.3)))
    assert decision.kind == "clarify"
    assert [t.intent for t in decision.options][:2] == ["ask_how_to_apply", "ask_contact"]


def test_agreement_leaves_the_answer_to_diet(knowledge):
    decision = decide("nar ar sista dag att soka", ranking(("ask_deadline", 0.97), ("ask_decision", 0.02)), knowledge,
                      example_ranking=ranking(("ask_deadline", 0.7), ("ask_decision", 0.2)))
    assert decision.kind == "topic" and decision.topic.intent == "ask_deadline"


@pytest.mark.parametrize("text, diet, chosen", [
    # DIET ranks the examples' topic second or third ...
    ("vem bestammer hur mycket pengar forbundet far",
     [("ask_decision", 0.45), ("ask_budget", 0.30), ("ask_basic_conditions", 0.15)], "ask_basic_conditions"),
    # ... first (agreement must not weigh less) ...
    ("maste vi beskriva hur resultaten lever vidare",
     [("ask_implementation", 0.44), ("ask_individual_goals", 0.26), ("ask_criteria", 0.10)], "ask_implementation"),
    # ... or lower.
    ("kan vi jobba med unga som inte har jobb",
     [("ask_project_competence", 0.44), ("ask_individual_goals", 0.31), ("ask_fundable", 0.10),
      ("ask_criteria", 0.05), ("ask_target_groups", 0.04)], "ask_target_groups"),
])
def test_very_sure_examples_answer_when_diet_is_unsure_whatever_rank_diet_gives_their_topic(text, diet, chosen,
                                                                                           knowledge):
    assert decide(text, ranking(*diet), knowledge).kind != "topic"
    decision = decide(text, ranking(*diet), knowledge, example_ranking=ranking((chosen, 0.97)))
    assert decision.kind == "topic" and decision.topic.intent == chosen
    # Fairly sure examples leave an unsure DIET unsure.
    decision = decide(text, ranking(*diet), knowledge, example_ranking=ranking((chosen, 0.80)))
    assert decision.kind != "topic"


def test_very_sure_examples_do_not_override_a_sure_diet(knowledge):
    text = "kan vi jobba med unga som inte har jobb"
    sure = ranking(("ask_individual_goals", 0.85), ("ask_project_competence", 0.05))
    decision = decide(text, sure, knowledge, example_ranking=ranking(("ask_target_groups", 0.99)))
    assert decision.kind == "clarify"
    assert [t.intent for t in decision.options] == ["ask_individual_goals", "ask_target_groups"]


def test_very_sure_examples_of_an_intent_that_is_no_topic_need_diets_support(knowledge):
    # A follow-up or an "ok" is DIET's call unless DIET ranks it among its first three.
    text = "hej, vem kan söka pengar hos er"
    diet = ranking(("ask_who_can_apply", 0.55), ("ask_other_actors", 0.20), ("ask_fundable", 0.10),
                   ("ask_budget", 0.05), ("ask_follow_up", 0.02))
    decision = decide(text, diet, knowledge, last_topic="deadline", example_ranking=ranking(("ask_follow_up", 0.96)))
    assert decision.kind != "follow_up"
    decision = decide("ja budget?", diet, knowledge, example_ranking=ranking(("affirm", 0.96)))
    assert decision.kind != "small_talk"


def test_unsure_is_measured_against_the_bar_of_the_questions_language(knowledge):
    # English needs a surer intent than Swedish; DIET below that bar is unsure, so very sure examples decide.
    text = "what age group is it for"
    diet = ranking(("ask_target_age", 0.62), ("ask_target_groups", 0.08))
    assert decide(text, diet, knowledge).kind == "honest"
    decision = decide(text, diet, knowledge, example_ranking=ranking(("ask_target_age", 0.98)))
    assert decision.kind == "topic" and decision.topic.intent == "ask_target_age" and decision.english
    # In Swedish 0.62 is sure: examples very sure of another intent do not override it.
    swedish = decide("vilken aldersgrupp galler det", diet, knowledge,
                     example_ranking=ranking(("ask_target_groups", 0.98)))
    assert swedish.kind == "clarify" and not swedish.english


def test_agreement_does_not_let_a_fairly_sure_topic_answer_a_word_the_documents_never_use(knowledge):
    decision = decide("vilka oppettider har kansliet", ranking(("ask_contact", 0.90), ("ask_how_to_apply", 0.02)),
                      knowledge, example_ranking=ranking(("ask_contact", 0.9)))
    assert decision.kind == "honest"


@pytest.mark.parametrize("text", ["vad gäller i samordningsförbundet Skåne", "hur gör man i Göteborg"])
def test_a_name_the_documents_never_use_stops_even_a_topic_both_models_are_sure_of(text, knowledge):
    # Another förbund's county is another subject, however sure the intent is of the rest.
    decision = decide(text, ranking(("ask_purpose", 0.99), ("ask_how_to_apply", 0.01)), knowledge,
                      example_ranking=ranking(("ask_purpose", 0.99)))
    assert decision.kind == "honest" and decision.message == "not_in_documents"


@pytest.mark.parametrize("text", ["kan vi i Karlshamn söka medel", "gäller det Ronneby också, kan vi söka"])
def test_a_member_municipality_named_in_the_documents_does_not_stop_the_topic(text, knowledge):
    decision = decide(text, ranking(("ask_who_can_apply", 0.99), ("ask_how_to_apply", 0.01)), knowledge,
                      example_ranking=ranking(("ask_who_can_apply", 0.99)))
    assert decision.kind == "topic" and decision.topic.intent == "ask_who_can_apply"


@pytest.mark.parametrize("text", ["vad går resten av medlen till", "vad används resten av budgeten till"])
def test_a_noun_of_quantity_is_no_word_the_documents_lack(text, knowledge):
    # "resten av medlen": the funds are the subject; the bot need not know "resten".
    decision = decide(text, ranking(("ask_budget", 0.90), ("ask_staff_costs", 0.02)), knowledge,
                      example_ranking=ranking(("ask_budget", 0.9)))
    assert decision.kind == "topic" and decision.topic.intent == "ask_budget"


def test_a_year_the_documents_never_mention_stops_even_a_sure_topic(knowledge):
    # The documents speak of 2020 and 2021: the board meeting of another year is not in them.
    sure = ranking(("ask_decision", 1.0))
    later = decide("när har styrelsen nästa möte 2027", sure, knowledge, example_ranking=sure)
    assert later.kind == "honest" and later.message == "not_in_documents"
    covered = decide("när fattade styrelsen beslut om ansökningarna för 2021", sure, knowledge, example_ranking=sure)
    assert covered.kind == "topic" and covered.topic.intent == "ask_decision"


def test_very_sure_examples_do_not_carry_a_word_the_documents_never_use(knowledge):
    # DIET is unsure; "hur mycket pengar" makes the examples sure of the budget, but the question is about parking.
    text = "hur mycket pengar far man for parkering"
    diet = ranking(("ask_decision", 0.45), ("ask_budget", 0.30), ("ask_basic_conditions", 0.15))
    decision = decide(text, diet, knowledge, example_ranking=ranking(("ask_budget", 0.99)))
    assert decision.kind == "honest" and decision.message == "not_in_documents"


def test_small_talk_and_follow_ups_stay_diets_call(knowledge):
    # The example ranking weighs which topic answers a question, not whether the user asked one.
    follow_up = decide("kan du ge ett exempel", ranking(("ask_follow_up", 0.9)), knowledge, last_topic="deadline",
                       example_ranking=ranking(("ask_fundable", 0.6), ("ask_purpose", 0.3)))
    assert follow_up.kind == "follow_up" and follow_up.topic.id == "deadline"
    acknowledged = decide("stammer bra det", ranking(("affirm", 0.9), ("ask_budget", 0.05)), knowledge,
                          example_ranking=ranking(("ask_budget", 0.6), ("ask_staff_costs", 0.3)))
    assert acknowledged.kind == "small_talk"
    # ... and very sure examples of a follow-up are one too.
    decision = decide("och hur gar det till da", ranking(("ask_deadline", 0.45), ("ask_follow_up", 0.30)), knowledge,
                      last_topic="deadline", example_ranking=ranking(("ask_follow_up", 0.97)))
    assert decision.kind == "follow_up"


def test_a_follow_up_form_that_names_its_subject_is_a_question_when_there_is_no_last_topic(knowledge):
    text = "gäller det även de som är över pensionsåldern"
    assert decide(text, ranking(("ask_target_age", 0.9)), knowledge, last_topic=None).kind != "follow_up"
    # With a last topic it still leans on it.
    assert decide(text, ranking(("ask_target_age", 0.9)), knowledge, last_topic="deadline").kind == "follow_up"


def test_a_compound_tail_of_a_document_word_is_no_unknown_word(knowledge):
    # "brister" stands in the documents only inside "samverkansbrister".
    decision = decide("maste vi beskriva vilka brister i samverkan vi vill losa",
                      ranking(("ask_criteria", 0.9), ("ask_idea_sketch", 0.05)), knowledge)
    assert decision.kind == "topic" and decision.topic.intent == "ask_criteria"
    assert decide("vilka oppettider har kansliet", ranking(("ask_contact", 0.96)), knowledge).kind == "honest"



def test_no_passage_when_the_likeliest_reading_is_not_in_the_documents(knowledge):
    # "Wämö Center" stands in the postal address; that passage does not answer the question.
    decision = decide("finns det laddstolpar vid wamo center",
                      ranking(("ask_not_covered", 0.47), ("ask_where_to_send", 0.22), ("ask_contact", 0.1)), knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"


@pytest.mark.parametrize("text,intent", [("förklara begreppet idéskiss", "ask_idea_sketch"),
                                         ("ge en definition av samverkansbrister", "ask_criteria")])
def test_a_word_about_meaning_is_not_something_the_documents_lack(text, intent, knowledge):
    # "begreppet", "definition" ask what a document word means; they name nothing new.
    decision = decide(text, ranking((intent, 0.9), ("ask_how_to_apply", 0.05)), knowledge)
    assert decision.kind == "topic" and decision.topic.intent == intent


def test_a_word_nobody_uses_stops_a_passage_whatever_its_part_of_speech(knowledge):
    # The small tagger reads "laddstolpar" as a verb; the address passage shares only "Wämö Center".
    decision = decide("finns det laddstolpar vid wamo center",
                      ranking(("ask_application_template", 0.44), ("ask_where_to_send", 0.08)), knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"
    # A known verb does not: the passage about who writes the recommendation is still found.
    assert decide("vem skriver rekommendationen till styrelsen", ranking(("ask_decision", 0.4)),
                  knowledge).kind == "passage"
    # Nor does a short verb ("skiljer") or a long adverb ("överhuvudtaget") the documents never use.
    for text in ("skiljer sig en idéskiss från en riktig ansökan",
                 "skiljer sig en idéskiss överhuvudtaget från en riktig ansökan"):
        unsure = decide(text, ranking(("ask_idea_sketch", 0.43), ("ask_how_to_apply", 0.18)), knowledge)
        assert unsure.kind == "clarify", text
        assert [t.intent for t in unsure.options][:1] == ["ask_idea_sketch"]


@pytest.mark.parametrize("text,intent,owner", [
    ("vilken postadress har förbundet", "ask_purpose", "ask_contact"),
    ("vilket dokument fyller man i när man söker", "ask_how_to_apply", "ask_application_template"),
])
def test_a_sure_topic_is_not_answered_when_the_question_names_another_topics_subject(text, intent, owner, knowledge):
    decision = decide(text, ranking((intent, 0.9), ("ask_decision", 0.02)), knowledge)
    assert decision.kind == "clarify"
    assert [t.intent for t in decision.options][:1] == [intent] and owner in [t.intent for t in decision.options]


def test_a_noun_that_many_topics_use_does_not_stop_a_sure_topic(knowledge):
    decision = decide("när är nästa tillfälle att söka medel", ranking(("ask_deadline", 0.95)), knowledge)
    assert decision.kind == "topic" and decision.topic.intent == "ask_deadline"


@pytest.mark.parametrize("text", ["vår idé är färdigtänkt, hur ansöker vi",
                                  "vi har en färdigtänkt idé, hur ansöker vi"])
def test_a_word_that_only_shares_a_stem_with_another_topics_word_does_not_stop_a_sure_topic(text, knowledge):
    # "färdigtänkt" shares "färdig" with where to send a finished application; it names nothing there.
    decision = decide(text, ranking(("ask_how_to_apply", 0.96)), knowledge,
                      example_ranking=ranking(("ask_how_to_apply", 0.99)))
    assert decision.kind == "topic" and decision.topic.intent == "ask_how_to_apply"


@pytest.mark.parametrize("text", ["hur många insatser finansierar förbundet idag",
                                  "hur många projekt finansierar förbundet"])
def test_a_question_after_an_amount_gets_no_passage_without_a_number(text, knowledge):
    decision = decide(text, ranking(("ask_financing_model", 0.44), ("ask_budget", 0.1)), knowledge)
    assert decision.kind != "passage"


@pytest.mark.parametrize("text", ["vem är förbundschef", "vem sitter som förbundschef"])
def test_a_question_for_a_person_gets_no_passage_that_only_mentions_the_role(text, knowledge):
    # "… ett underlag som förbundschefen författar" says what the role does, not who holds it.
    decision = decide(text, ranking(("ask_contact", 0.44), ("ask_after_application", 0.05)), knowledge)
    assert decision.kind != "passage"


def test_a_question_for_a_role_may_get_the_passage_that_names_it(knowledge):
    decision = decide("vem är det som skriver underlaget till styrelsen",
                      ranking(("ask_contact", 0.44), ("ask_after_application", 0.05)), knowledge)
    assert decision.kind == "passage" and "förbundschefen författar" in decision.hit.passage.text


def test_a_name_in_an_english_question_that_the_bot_never_saw_stops_the_topic(knowledge):
    # The Swedish noun check skips English; capitalised words it never saw are names all the same.
    sure = ranking(("ask_deadline", 0.99))
    elsewhere = decide("When is the application deadline of the association in Jönköping?", sure, knowledge,
                       example_ranking=sure)
    assert elsewhere.kind == "honest" and elsewhere.english
    here = decide("When is the deadline for Samordningsförbundet i Blekinge?", sure, knowledge, example_ranking=sure)
    assert here.kind == "topic" and here.topic.intent == "ask_deadline"


def test_an_abbreviation_the_documents_never_use_stops_even_a_sure_topic(knowledge):
    sure = ranking(("ask_fundable", 0.99))
    decision = decide("kan vi söka pengar från ESF till samma insats", sure, knowledge, example_ranking=sure)
    assert decision.kind == "honest" and decision.message == "not_in_documents"


def test_an_abbreviation_only_sketch_answers_use_is_not_known_to_the_documents(knowledge):
    # A sketch answer may say "vi vill arbeta med IPS"; the priorities say nothing about IPS.
    decision = decide_sure("vill ni satsa på IPS som metod", "ask_priorities", knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"


@pytest.mark.parametrize("text", ["hur många deltagare fick jobb förra året", "vilka projekt fick pengar i fjol",
                                  "hur har budgeten ändrats de senaste åren"])
def test_a_past_period_the_documents_do_not_cover_stops_even_a_sure_topic(text, knowledge):
    decision = decide_sure(text, "ask_individual_goals", knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"


@pytest.mark.parametrize("text,intent", [
    ("hur gick det för projektet i Olofström", "ask_fundable"),
    ("vad blev resultatet av insatserna för unga", "ask_individual_goals"),
    ("nådde projekten målet om 60 procent", "ask_individual_goals"),
    ("lyckades ni få ut deltagarna i arbete", "ask_individual_goals"),
    ("vilka ansökningar beviljades i höstas", "ask_decision"),
    ("när grundades samordningsförbundet", "ask_purpose"),
    ("vem var ordförande i styrelsen förut", "ask_decision"),
    ("hur många deltagare fick jobb efter insatsen", "ask_individual_goals"),
])
def test_an_outcome_or_history_the_documents_do_not_report_stops_even_a_sure_topic(text, intent, knowledge):
    # The documents plan and set rules; how things went is not in them, whatever the topic's words.
    decision = decide_sure(text, intent, knowledge)
    assert decision.kind == "honest" and decision.message == "not_in_documents"


@pytest.mark.parametrize("text,sure_intent", [
    ("vilka prioriteringar hade ni 2020", "ask_priorities"),
    ("när får vi veta om vi fick pengarna", "ask_decision"),
    ("vi skickade in ansökan i fredags, vad händer nu", "ask_after_application"),
])
def test_a_question_in_the_past_tense_about_what_the_documents_say_is_answered(text, sure_intent, knowledge):
    decision = decide_sure(text, sure_intent, knowledge)
    assert decision.kind == "topic" and decision.topic.intent == sure_intent


@pytest.mark.parametrize("text,intent", [
    ("hur lång tid tar granskningen hos kansliet", "ask_after_application"),
    ("hur länge brukar handläggningen pågå", "ask_after_application"),
    ("hur många veckor tar det att skriva en idéskiss", "ask_idea_sketch"),
    ("how long does the review take", "ask_after_application"),
])
def test_a_length_of_time_is_not_answered_by_a_topic_that_gives_no_date(text, intent, knowledge):
    # The documents give no durations; a topic without a date does not answer "how long".
    decision = decide_sure(text, intent, knowledge)
    assert decision.kind == "honest"
    unsure = decide(text, ranking((intent, 0.55), ("ask_contact", 0.1)), knowledge)
    assert unsure.kind == "honest"


@pytest.mark.parametrize("text,intent", [
    ("hur lång tid är det kvar till sista ansökningsdagen", "ask_deadline"),
    ("hur länge dröjer det innan styrelsen beslutar", "ask_decision"),
])
def test_a_length_of_time_between_the_documents_dates_is_answered_by_the_dated_topic(text, intent, knowledge):
    decision = decide_sure(text, intent, knowledge)
    assert decision.kind == "topic" and decision.topic.intent == intent


def test_a_year_that_one_other_topic_alone_gives_is_offered_beside_the_sure_topic(knowledge):
    decision = decide_sure("vad bestämdes på styrelsemötet 2017", "ask_decision", knowledge)
    assert decision.kind == "clarify"
    assert [t.intent for t in decision.options][:2] == ["ask_decision", "ask_staff_costs"]


@pytest.mark.parametrize("text", ["vi på soc i Ronneby undrar när sista dagen för ansökan är",
                                  "jobbar på AF i Karlshamn, när är sista ansökningsdag"])
def test_the_askers_own_place_does_not_make_a_sure_topic_a_question_about_another(text, knowledge):
    # A member municipality is named in other topics' sources; here it only says where the asker works.
    decision = decide_sure(text, "ask_deadline", knowledge)
    assert decision.kind == "topic" and decision.topic.intent == "ask_deadline"


def test_a_name_in_a_question_of_how_much_says_whose_amount(knowledge):
    # The documents give what the municipalities pay together, not what one of them pays.
    decision = decide_sure("hur mycket betalar Karlshamns kommun till förbundet", "ask_financing_model", knowledge)
    assert decision.kind == "clarify" and decision.options[0].intent == "ask_financing_model"


@pytest.mark.parametrize("text", ["Jag är kurator inom elevhälsan och undrar vem som får söka medel",
                                  "Hej, jag jobbar som biståndshandläggare, vem kan söka pengar",
                                  "vi på beroendemottagningen i Karlshamn undrar vem som får söka medel"])
def test_the_askers_own_workplace_is_no_word_the_documents_lack(text, knowledge):
    # "elevhälsan", "biståndshandläggare": where the asker works, not what the question is about.
    unsure = ranking(("ask_who_can_apply", 0.55), ("ask_contact", 0.1))
    decision = decide(text, unsure, knowledge)
    assert decision.kind in ("topic", "clarify")
    assert (decision.topic or decision.options[0]).intent == "ask_who_can_apply"


def test_a_word_the_documents_lack_after_the_introduction_still_stops_the_topic(knowledge):
    unsure = ranking(("ask_who_can_apply", 0.55), ("ask_contact", 0.1))
    decision = decide("vi på soc undrar om vi kan söka medel till elevhälsan", unsure, knowledge)
    assert decision.kind == "honest"


def test_a_passage_that_holds_the_question_is_quoted_when_the_examples_read_a_topic(knowledge):
    # DIET leans to "not in the documents", the examples to a topic, and a passage says it word for word.
    diet = ranking(("ask_not_covered", 0.63), ("ask_fundable", 0.05))
    decision = decide("varför är gemensamma utbildningar bra", diet, knowledge,
                      example_ranking=ranking(("ask_fundable", 0.66)))
    assert decision.kind == "passage" and "Gemensamma utbildningar" in decision.hit.passage.text
    alone = decide("varför är gemensamma utbildningar bra", diet, knowledge,
                   example_ranking=ranking(("ask_not_covered", 0.66)))
    assert alone.kind == "honest"


def test_the_next_year_is_a_question_about_applying_again(knowledge):
    sure = ranking(("ask_deadline", 0.99))
    decision = decide("hinner vi söka till nästa år", sure, knowledge, example_ranking=sure)
    assert decision.kind == "topic" and decision.topic.intent == "ask_deadline"


@pytest.mark.parametrize("text,last_topic,kind", [("ja, hur söker man?", None, "passage"),
                                                  ("nej men vem kan söka", None, "passage"),
                                                  ("nej, vad menas med det?", "deadline", "follow_up")])
def test_a_yes_or_no_before_a_question_is_no_acknowledgement(text, last_topic, kind, knowledge):
    decision = decide(text, ranking(("affirm", 0.6), ("ask_how_to_apply", 0.01)), knowledge, last_topic=last_topic)
    assert decision.kind == kind


@pytest.mark.parametrize("text,intent", [
    ("Thanks! Tell me who can apply", "ask_who_can_apply"),  # a sentence's first word is no name
    ("Is the deadline in October?", "ask_deadline"),
    ("Can the Swedish Public Employment Service apply?", "ask_who_can_apply"),
    ("Hur långt tidigare är det bra att kontakta kansliet?", "ask_how_to_apply"),  # "är", not "år"
    ("finns det ett maxbelopp, typ 2000 kr?", "ask_budget"),  # an amount, not a year
    ("Jag heter Lars och jobbar i Ronneby. Kan vi söka?", "ask_who_can_apply"),
    ("Hur söker man medel? Mvh Karin Svensson", "ask_how_to_apply"),
])
def test_what_only_looks_like_a_name_or_a_period_does_not_stop_a_sure_topic(text, intent, knowledge):
    sure = ranking((intent, 0.99))
    decision = decide(text, sure, knowledge, example_ranking=sure)
    assert decision.kind == "topic" and decision.topic.intent == intent, decision.reason


def test_a_word_the_documents_lack_is_named_once(knowledge):
    decision = decide("kan vi söka för personer med ADHD", ranking(("ask_target_groups", 0.99)), knowledge)
    assert decision.kind == "honest" and decision.reason.count("adhd") == 1


SKETCH_STATEMENT = "Vi vill starta ett samarbete mellan vuxenpsykiatrin och arbetsmarknadsenheten för unga vuxna"


def test_a_statement_that_reads_as_a_sketch_answer_is_offered_the_idea_sketch(knowledge):
    # Outside the form there is nothing to store it in, and nothing was asked: no "det framgår inte av underlaget".
    decision = decide(SKETCH_STATEMENT, ranking(("inform_sketch", 0.95), ("ask_fundable", 0.02)), knowledge)
    assert decision.kind == "sketch_offer"
    reply = render(decision, knowledge)
    assert reply.texts == [knowledge.message("sketch_offer")]
    assert [b["payload"] for b in reply.buttons] == ["/start_sketch"]


def test_with_a_sketch_under_way_the_statement_is_offered_the_sketch_to_go_on_with(knowledge):
    decision = decide(SKETCH_STATEMENT, ranking(("inform_sketch", 0.95), ("ask_fundable", 0.02)), knowledge,
                      sketch_started=True)
    reply = render(decision, knowledge)
    assert reply.texts == [knowledge.message("sketch_offer_unfinished")]
    assert [b["payload"] for b in reply.buttons] == ["/sketch_resume"]


@pytest.mark.parametrize("text", ["vi hade tänkt dra igång i januari, hinner vi fortfarande skicka in",
                                  "jag undrar vem som sitter i styrelsen",
                                  "Vi vill starta ett projekt för unga vuxna, går det?",
                                  "vi funderar på om vi kan söka för en utbildning",
                                  "jag undrade om vi kan söka för en förstudie",
                                  "jag skulle vilja veta hur man söker",
                                  "vi vill starta ett projekt för unga vuxna, är det möjligt",
                                  "vi har en idé om en coach, finns det pengar för det",
                                  "we would like to start a project with the municipality",
                                  "vi vill starta i januari hinner vi det"])
def test_a_question_read_as_a_sketch_answer_is_no_sketch_offer(text, knowledge):
    decision = decide(text, ranking(("inform_sketch", 0.95), ("ask_deadline", 0.02)), knowledge)
    assert decision.kind != "sketch_offer"


def test_no_sketch_offer_while_the_sketch_form_asks_its_questions(knowledge):
    decision = decide(SKETCH_STATEMENT, ranking(("inform_sketch", 0.95), ("ask_fundable", 0.02)), knowledge,
                      sketch_started=True, in_sketch=True)
    assert decision.kind != "sketch_offer"


def test_very_sure_examples_answer_over_a_diet_that_is_only_fairly_sure_of_another_topic(knowledge):
    # DIET 0.75 on the budget, the examples 0.99 on who decides the förbund's own money: the examples answer.
    decision = decide("Vem bestämmer hur mycket pengar förbundet får att dela ut varje år?",
                      ranking(("ask_budget", 0.75), ("ask_basic_conditions", 0.1)), knowledge,
                      example_ranking=ranking(("ask_basic_conditions", 0.99), ("ask_budget", 0.01)))
    assert (decision.kind, decision.topic.intent) == ("topic", "ask_basic_conditions")
