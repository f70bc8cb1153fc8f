"""knowledge/faq.yml is the one list of FAQ intents; the derived lists must agree with it."""
import importlib.util

from conftest import ROOT

spec = importlib.util.spec_from_file_location("sync_faq_intents", ROOT / "scripts" / "sync_faq_intents.py")
sync = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync)


def test_domain_rules_and_nlu_agree_with_faq_yml():
    assert sync.problems() == []


def test_a_missing_intent_in_a_marked_block_is_regenerated():
    domain = (ROOT / "bot" / "domain.yml").read_text(encoding="utf-8")
    broken = domain.replace("  - ask_budget\n", "", 1)
    assert broken != domain
    assert sync.regenerate_blocks(broken, sync.faq_intents(), "- {}") == domain


def test_intents_outside_the_markers_are_left_alone():
    text = "intents:\n  - greet\n  # faq-intents begin\n  - old_intent\n  # faq-intents end\n  - erase_my_data\n"
    assert sync.regenerate_blocks(text, ["ask_a", "ask_b"], "- {}") == (
        "intents:\n  - greet\n  # faq-intents begin\n  - ask_a\n  - ask_b\n  # faq-intents end\n  - erase_my_data\n")


def test_both_rule_lists_hold_every_faq_intent():
    rules = (ROOT / "bot" / "rules.yml").read_text(encoding="utf-8")
    for intent in sync.faq_intents():
        assert rules.count(f"- intent: {intent}\n") >= 2, intent
