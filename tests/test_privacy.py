"""The privacy notice (issue 10, item 3): per channel, GDPR art. 13 content, every sentence
true to what the code does, the förbund's values from knowledge/privacy.yml."""
import asyncio
import re

import pytest
import yaml
from conftest import ROOT


@pytest.fixture
def spec(knowledge_copy):
    from finsam.privacy import get_privacy

    return get_privacy()


def tracker_in(channel, text="vad sparas om mig?"):
    from rasa_sdk import Tracker

    events = [{"event": "user", "text": text, "input_channel": channel, "parse_data": {}}] if channel else []
    return Tracker("s", {}, {"text": text, "intent": {"name": "ask_privacy"}}, events, False, None, {}, "action_listen")


def notice(channel):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.privacy import ActionPrivacyNotice

    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionPrivacyNotice().run(dispatcher, tracker_in(channel), {})) == []
    [message] = dispatcher.messages
    return message["text"]


@pytest.mark.parametrize("channel", ["web", "teams", "rest", None])
def test_the_notice_gives_what_article_13_asks_for(knowledge_copy, channel):
    text = notice(channel)
    for heading in ("Personuppgiftsansvarig: Samordningsförbundet i Blekinge", "Ändamål:", "Rättslig grund:",
                    "Lagring:", "Dina rättigheter:", "Dataskyddsombud:",
                    "Mer om hur förbundet behandlar personuppgifter:"):
        assert heading in text, heading
    assert "90 dagar" in text and "radera mina uppgifter" in text
    assert "allmän handling" in text  # a submitted draft is not erased with the conversation
    assert "Integritetsskyddsmyndigheten" in text


def test_only_teams_says_that_microsoft_365_keeps_the_users_messages(knowledge_copy):
    assert "Microsoft 365" in notice("teams")
    assert "Microsoft 365" not in notice("web") and "Microsoft 365" not in notice("rest")
    assert "Webbläsaren" in notice("web")


def test_the_controllers_address_is_the_kanslis_address_from_the_seeds(spec, knowledge):
    address = spec["personuppgiftsansvarig"]["adress"]["varde"]
    kansli = " ".join(knowledge.messages["kansli"].split())
    assert address.replace(" 271 81 Karlskrona", "") in kansli and "271 81 Karlskrona" in kansli
    source = (ROOT / "knowledge/sources/planeringsforutsattningar-2021.txt").read_text(encoding="utf-8")
    assert "Wämö Center" in source and "c/o Region Blekinge" in source


def test_unconfirmed_placeholders_are_never_shown_as_facts(knowledge_copy):
    from finsam.privacy import full_notice, get_privacy

    path = knowledge_copy / "privacy.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["dataskyddsombud"] = {"varde": "dso@exempel.invalid", "bekräftad": False}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    text = full_notice(get_privacy(knowledge_copy), "web")
    assert "dso@exempel.invalid" not in text
    assert "Dataskyddsombud: inte ifyllt här än – fråga förbundets kansli." in text

    data["dataskyddsombud"]["bekräftad"] = True
    data["integritetssida"] = {"varde": "https://www.exempel.invalid/integritet", "bekräftad": True}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    text = full_notice(get_privacy(knowledge_copy), "web")
    assert "Dataskyddsombud: dso@exempel.invalid." in text
    assert "https://www.exempel.invalid/integritet" in text


def test_the_shipped_file_marks_what_the_förbund_must_still_confirm(spec):
    from finsam.privacy import placeholders

    # No invented facts: until the förbund fills them in, these stay unconfirmed and empty.
    for key in placeholders(spec):
        assert not spec[key]["varde"], key
    raw = (ROOT / "knowledge/privacy.yml").read_text(encoding="utf-8")
    assert raw.count("PLATSHÅLLARE") >= 3


def test_the_retention_period_in_the_notice_is_the_one_make_purge_uses(knowledge_copy, monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import purge

    from finsam.privacy import DEFAULT_RETENTION_DAYS

    assert purge.DEFAULT_RETENTION_DAYS == DEFAULT_RETENTION_DAYS == 90
    monkeypatch.setenv("RETENTION_DAYS", "30")
    text = notice("web")
    assert "30 dagar" in text and "90 dagar" not in text


def test_the_sketch_starts_with_the_short_notice_for_its_channel(knowledge_copy):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.sketch_form import ActionStartSketch

    dispatcher = CollectingDispatcher()
    asyncio.run(ActionStartSketch().run(dispatcher, tracker_in("teams", "jag har en idé"), {}))
    first = dispatcher.messages[0]["text"]
    assert first.startswith("Innan vi börjar") and "Microsoft 365" in first and "integritet" in first


def test_the_static_privacy_answer_is_replaced_by_the_channel_aware_action(domain):
    assert "utter_privacy" not in domain["responses"]
    assert "action_privacy_notice" in domain["actions"]
    rules = yaml.safe_load((ROOT / "bot/rules.yml").read_text(encoding="utf-8"))["rules"]
    privacy_rules = [r for r in rules if {"intent": "ask_privacy"} in r["steps"]]
    assert privacy_rules and all({"action": "action_privacy_notice"} in r["steps"] for r in privacy_rules)


def test_what_the_notice_promises_exists(domain):
    # "radera mina uppgifter" is understood (an NLU example of the erase intent) ...
    nlu = yaml.safe_load((ROOT / "nlu_data/privacy.yml").read_text(encoding="utf-8"))["nlu"]
    examples = [e.strip("- ").strip() for block in nlu if block["intent"] == "erase_my_data"
                for e in block["examples"].splitlines()]
    assert "radera mina uppgifter" in examples and "erase_my_data" in domain["intents"]
    # ... and the conversation store that erases it is the one configured.
    for endpoints in ("bot/endpoints.yml", "bot/endpoints.scaled.yml"):
        store = yaml.safe_load((ROOT / endpoints).read_text(encoding="utf-8"))["tracker_store"]
        assert store["type"] == "rasa_addons.tracker_store.ErasingSQLTrackerStore"
    assert re.search(r"raderas (\{dagar\}|\d+) dagar", (ROOT / "knowledge/privacy.yml").read_text(encoding="utf-8"))


def test_the_web_notice_says_the_channels_own_settings_and_the_fortsattningskod(knowledge_copy, monkeypatch):
    """Every web sentence is what channels/web.py and channels/web_resume.py do (issue 9 item 6)."""
    for name in ("WEB_SESSION_IDLE_MINUTES", "WEB_RESUME_DAYS", "RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    text = notice("web")
    assert "inget på två timmar" in text and "gäller i 14 dagar" in text
    assert "visas bara en gång" in text and "kan användas en gång" in text and "kontrollsumma" in text
    assert "Spara och fortsätt senare" in text and "Fortsätt med en kod" in text
    monkeypatch.setenv("WEB_SESSION_IDLE_MINUTES", "45")
    monkeypatch.setenv("WEB_RESUME_DAYS", "30")
    monkeypatch.setenv("RETENTION_DAYS", "20")  # a code never outlives its conversation
    text = notice("web")
    assert "inget på 45 minuter" in text and "gäller i 20 dagar" in text
    assert "{" not in text
    # The widget's own names for the controls are the ones the notice uses.
    widget = (ROOT / "web" / "widget.js").read_text(encoding="utf-8")
    assert 'saveLater: "Spara och fortsätt senare"' in widget and 'resumeOpen: "Fortsätt med en kod"' in widget
    # Only the web channel talks about codes.
    assert "fortsättningskod" not in notice("teams") and "fortsättningskod" not in notice("rest")
