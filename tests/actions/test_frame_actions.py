"""The frame's custom actions, run with rasa_sdk's Tracker and CollectingDispatcher."""
from actions.frame import ActionDefaultAskAffirmation, ActionExplainSimpler, ActionExplainTerm
from actions.municipality import (
    ActionContactMunicipality,
    ActionFindClientondersteuning,
    ActionRememberMunicipality,
)
from bot.responses import pick_variant
from tests.actions.helpers import bot_event, make_tracker, run_action


def test_not_understood_repeats_last_answer_in_its_simple_variant(domain):
    tracker = make_tracker(
        "ik snap het niet", "not_understood",
        events=[bot_event("utter_greet"), {"event": "user", "text": "hoi"}],
    )
    dispatcher, _ = run_action(ActionExplainSimpler(), tracker, domain)
    simple = pick_variant(domain["responses"], "utter_greet", "simple")
    assert dispatcher.messages[0]["text"] == simple["text"]
    # a parent is offered to switch to simple language from now on
    assert dispatcher.messages[1]["response"] == "utter_simpler_offer"


def test_not_understood_skips_the_bots_own_rephrase_prompts(domain):
    tracker = make_tracker(
        "snap ik niet", "not_understood",
        events=[bot_event("utter_out_of_scope"), bot_event("utter_ok")],
        slots={"audience": "simple"},
    )
    dispatcher, _ = run_action(ActionExplainSimpler(), tracker, domain)
    assert dispatcher.messages[0]["text"] == pick_variant(
        domain["responses"], "utter_out_of_scope", "simple")["text"]
    assert len(dispatcher.messages) == 1, "already simple: no offer to switch"


def test_not_understood_without_earlier_answer_asks_for_the_question(domain):
    dispatcher, _ = run_action(ActionExplainSimpler(), make_tracker("huh", "not_understood"), domain)
    assert dispatcher.messages[0]["response"] == "utter_nothing_to_simplify"


def test_fallback_offers_the_most_likely_topics_as_buttons(domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "info_bezwaar", "confidence": 0.3},
        {"name": "greet", "confidence": 0.1},
        {"name": "info_beroep", "confidence": 0.05},
        {"name": "info_pgb", "confidence": 0.04},
        {"name": "info_rights", "confidence": 0.01},
    ]
    tracker = make_tracker("brief boos gemeente", "nlu_fallback", intent_ranking=ranking)
    dispatcher, _ = run_action(ActionDefaultAskAffirmation(), tracker, domain)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/info_bezwaar", "/info_beroep", "/info_pgb", "/deny"]
    assert dispatcher.messages[0]["buttons"][0]["title"] == "Bezwaar maken"


def test_contact_uses_the_configured_municipality(domain):
    tracker = make_tracker("ik wil een mens spreken", "request_human",
                           slots={"municipality": "gemeente-voorbeeld"})
    dispatcher, events = run_action(ActionContactMunicipality(), tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert "Gemeente Voorbeeld" in text and "0123-456789" in text
    assert {"event": "slot", "name": "municipality", "value": "gemeente-voorbeeld",
            "timestamp": None} in events


def test_contact_asks_the_municipality_and_then_answers(domain):
    dispatcher, events = run_action(
        ActionContactMunicipality(), make_tracker("kan ik iemand bellen", "request_human"), domain)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert '/inform_municipality{"municipality": "gemeente-voorbeeld"}' in payloads
    assert any(e["name"] == "municipality_purpose" and e["value"] == "contact" for e in events)

    tracker = make_tracker("ik woon in Anders", "inform_municipality",
                           slots={"municipality_purpose": "contact"})
    dispatcher, events = run_action(ActionRememberMunicipality(), tracker, domain)
    assert "0987-654321" in dispatcher.messages[0]["text"]
    assert any(e["name"] == "municipality" and e["value"] == "gemeente-anders" for e in events)


def test_unknown_municipality_gets_the_honest_national_answer(domain):
    tracker = make_tracker("ik woon in Zwolle", "inform_municipality",
                           slots={"municipality_purpose": "clientondersteuning"})
    dispatcher, _ = run_action(ActionRememberMunicipality(), tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert "geen namen" in text and "zorgkantoor" in text
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/info_clientondersteuning_wlz", "/info_het_juiste_loket"]


def test_a_bare_municipality_word_is_no_dead_end(domain):
    """Just "gemeente": no municipality found, nothing asked before: the national routes as buttons."""
    tracker = make_tracker("gemeente", "inform_municipality")
    dispatcher, _ = run_action(ActionRememberMunicipality(), tracker, domain)
    assert "website van uw gemeente" in dispatcher.messages[0]["text"]
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["Gratis cliëntondersteuning", "Het Juiste Loket", "Waar begin ik?"]


def test_clientondersteuning_lists_the_providers_from_configuration(domain):
    tracker = make_tracker("waar vind ik een cliëntondersteuner", "find_clientondersteuning",
                           slots={"municipality": "gemeente-anders", "audience": "simple"})
    dispatcher, _ = run_action(ActionFindClientondersteuning(), tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert "Stichting Naast (fictief)" in text and "Ouderpunt Anders (fictief)" in text


def test_term_is_explained_from_the_glossary(domain):
    tracker = make_tracker("wat is een persoonsgebonden budget", "ask_term")
    dispatcher, _ = run_action(ActionExplainTerm(), tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_term_pgb"


def test_unknown_term_asks_again(domain):
    tracker = make_tracker("wat is een flux capacitor", "ask_term")
    dispatcher, _ = run_action(ActionExplainTerm(), tracker, domain)
    assert "ken ik nog niet" in dispatcher.messages[0]["text"]
