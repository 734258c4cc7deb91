"""Crisis phrases are recognised deterministically, also when written oddly."""
import pytest

from bot.nlp.crisis import CrisisKeywordClassifier, is_crisis
from rasa.shared.nlu.training_data.message import Message


@pytest.mark.parametrize("text", [
    "ik wil dood",
    "Ik denk aan zelfmoord",
    "mijn zoon wil niet meer leven",
    "ik wil een eind aan mijn leven maken",
    "ik wil mezelf iets aandoen",
    "mijn vader slaat mij",
    "het is thuis niet veilig",
    "er is huiselijk geweld bij ons",
    "ＺＥＬＦＭＯＯＲＤ",
    "zelf\u200bmoord gedachten",
])
def test_crisis_phrases(text):
    assert is_crisis(text)


@pytest.mark.parametrize("text", [
    "Ik kan het niet meer aan, al die formulieren",
    "Mijn beschikking loopt af, wat nu?",
    "wat doet Veilig Thuis niet? ik bedoel de gemeente",
    "het levenslang en levensbreed karakter",
    "",
    None,
])
def test_ordinary_questions_are_not_crisis(text):
    assert not is_crisis(text)


def test_component_overrides_the_classifier():
    message = Message(data={"text": "ik wil dood"})
    message.set("intent", {"name": "info_pgb", "confidence": 0.9})
    message.set("intent_ranking", [{"name": "info_pgb", "confidence": 0.9}])
    CrisisKeywordClassifier().process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "crisis"
