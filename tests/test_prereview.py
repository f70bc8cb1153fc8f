"""Pre-review of a sketch against the förbund's criteria."""
from finsam.prereview import ages_outside, member_parties_named, review
from finsam.sketch import OPEN

GOOD = {
    "title": "Gemensam väg",
    "background": "Vi har sett ett stort behov: en kartläggning visar brister i samverkan mellan FK och kommunen.",
    "solution": "Ett team som utgår från deltagarnas egna styrkor och erfarenheter.",
    "target_group": "Unga vuxna 18–29 år med psykisk ohälsa som står utanför arbetsmarknaden.",
    "coordination": "Gemensamma möten där deltagaren är delaktig.",
    "measurement": "Vi utvärderar med enkäter före och efter och följer upp andelen som börjar arbeta.",
    "governance": "Styrgrupp med cheferna. Karlshamns kommun är huvudman.",
    "anchoring": "Förankrat i ledningsgrupperna; målet är att arbetssättet blir ordinarie verksamhet.",
    "parties": "Karlshamns kommun (huvudman), Arbetsförmedlingen och Försäkringskassan.",
}


def checks(answers, knowledge):
    return [s.check for s in review(answers, knowledge.prereview)]


def test_a_sketch_that_touches_every_criterion_gets_no_suggestions(knowledge):
    assert checks(GOOD, knowledge) == []


def test_each_gap_gives_its_suggestion(knowledge):
    weak = dict(GOOD, parties="Bara vi på Ronneby kommun", governance="En styrgrupp.",
                target_group="Barn 10–15 år i skolan", measurement=OPEN,
                anchoring="Cheferna vet om det.", background="Det vore bra.", solution="Ett nytt team.",
                coordination="Vi träffas.")
    found = checks(weak, knowledge)
    assert found == ["two_parties", "huvudman", "target_age", "prioritised_group", "evaluation_plan",
                     "implementation", "needs_analysis", "own_strengths"]
    suggestion = review(weak, knowledge.prereview)[0]
    assert suggestion.source_document == "sok-finansiering"
    assert "minst två" in suggestion.text


def test_words_match_without_a_with_rings():
    assert member_parties_named("FK och Forsakringskassan", {"Försäkringskassan": ["försäkringskassan", "fk"]})


def test_two_kommuner_count_as_two_parties(knowledge):
    assert len(member_parties_named("Ronneby kommun och Karlshamns kommun", knowledge.prereview["member_parties"])) == 2


def test_ages_outside_range():
    assert ages_outside("ungdomar 14-20 år", 16, 64) == [14]
    assert ages_outside("personer 16–64 år", 16, 64) == []
    assert ages_outside("70-åringar", 16, 64) == [70]
